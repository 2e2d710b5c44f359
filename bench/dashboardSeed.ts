import { pipelineInstanceId } from '../shared/domain/naming';
import { ModelRegistry } from '../shared/ports/modelRegistry';
import { CandidateRun, PipelineRun, RunStatus, RunStore } from '../shared/ports/runStore';
import { SpecStore } from '../shared/ports/specStore';
import { requireValidSpec } from '../shared/usecases/startRun';

export interface DashboardSeedOptions {
  /** Default `seeded`. */
  pipeline?: string;
  /** Default 1,000. */
  runs?: number;
  /** Default 20 (20,000 candidate records with the default runs). */
  candidatesPerRun?: number;
  /** The newest run starts an hour before this; default now. */
  now?: Date;
}

export interface DashboardSeed {
  pipeline: string;
  runs: number;
  candidates: number;
  /** Newest first, as the runs page lists them. */
  instanceIds: string[];
  /** The model version the seed makes production (the pipeline's name is the model's). */
  productionVersion: number;
}

export interface SeedStores {
  runs: RunStore;
  specs: SpecStore;
  registry: ModelRegistry;
}

const labels = ['T-shirt', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const classifiers = ['logistic_regression', 'random_forest'];
const triggers = ['http', 'blob', 'schedule'];

/** Deterministic numbers in [0, 1): the same options seed the same history. */
function sequence(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

function candidateMetrics(accuracy: number, random: () => number): CandidateRun['metrics'] {
  const perClass = Object.fromEntries(labels.map((l) => [l, Math.min(1, Math.max(0, accuracy + (random() - 0.5) * 0.2))]));
  const perClassValues = Object.values(perClass);
  const matrix = labels.map((_, row) =>
    labels.map((__, column) => (row === column ? Math.round(perClass[labels[row]] * 100) : Math.round(random() * 3))),
  );
  return {
    accuracy,
    classAverageAccuracy: perClassValues.reduce((a, b) => a + b, 0) / perClassValues.length,
    perClassAccuracy: perClass,
    confusionMatrix: { labels, matrix, rows: 'true label', columns: 'predicted label' },
    rocAuc: Object.fromEntries(labels.map((l) => [l, Math.min(1, 0.5 + accuracy / 2 + random() * 0.02)])),
  };
}

function seededRun(
  pipeline: string,
  index: number,
  startedAt: Date,
  candidates: number,
  random: () => number,
): { run: PipelineRun; candidates: CandidateRun[] } {
  const instanceId = pipelineInstanceId(pipeline, `seed:${index}`);
  const status: RunStatus = index % 17 === 0 ? 'failed' : index % 23 === 0 ? 'cancelled' : 'succeeded';
  const stageSeconds = {
    validate: 0.4,
    provision: 20 + random() * 40,
    copy: 5 + random() * 10,
    train: 60 + random() * 240,
    select: 0.5,
    teardown: 8,
  };
  const seconds = Object.values(stageSeconds).reduce((a, b) => a + b, 0);
  const trainStart = startedAt.getTime() + (stageSeconds.validate + stageSeconds.provision + stageSeconds.copy) * 1000;
  const records = Array.from({ length: candidates }, (_, k): CandidateRun => {
    const classifier = classifiers[k % classifiers.length];
    const accuracy = 0.7 + random() * 0.2;
    const duration = 20 + random() * 60;
    const started = new Date(trainStart + (k % 4) * 5000);
    const failed = status === 'failed' && k === 0;
    return {
      pipeline,
      instanceId,
      candidateId: `c${String(k).padStart(3, '0')}-${classifier}`,
      featurizer: 'squeezenet1_1',
      classifier,
      params:
        classifier === 'random_forest'
          ? { numTrees: 10 + (k % 5) * 10, maxDepth: 3 + (k % 4) }
          : { regParam: 0.001 * (1 + (k % 5)), maxIter: 50 },
      status: failed ? 'failed' : 'succeeded',
      ...(failed
        ? {
            error: {
              code: 'LIVY.BATCH_DEAD',
              message: `Traceback (most recent call last):\n  ...\nMemoryError: seeded failure of run ${index}`,
            },
          }
        : { metrics: candidateMetrics(accuracy, random) }),
      startedAt: started.toISOString(),
      endedAt: new Date(started.getTime() + duration * 1000).toISOString(),
      durationSeconds: Math.round(duration * 10) / 10,
      costUsd: Math.round(duration * 0.0002 * 10_000) / 10_000,
    };
  });
  const succeeded = records.filter((c) => c.status === 'succeeded');
  const best = succeeded.reduce<CandidateRun | undefined>((a, c) => (!a || c.metrics!.accuracy > a.metrics!.accuracy ? c : a), undefined);
  const nodeMinutes = Math.round((seconds / 60) * 3 * 10) / 10;
  const run: PipelineRun = {
    pipeline,
    instanceId,
    specVersion: 1 + Math.floor(index / 250),
    dataVersion: `seed:${index}`,
    trigger: triggers[index % triggers.length],
    status,
    stage: 'done',
    startedAt: startedAt.toISOString(),
    endedAt: new Date(startedAt.getTime() + seconds * 1000).toISOString(),
    stageSeconds,
    candidates: { total: candidates, succeeded: succeeded.length, failed: candidates - succeeded.length },
    ...(best
      ? {
          best: {
            candidateId: best.candidateId,
            classifier: best.classifier,
            featurizer: best.featurizer,
            metric: 'accuracy',
            value: best.metrics!.accuracy,
          },
        }
      : {}),
    ...(status === 'succeeded'
      ? {
          decision: {
            promoted: index % 5 === 0,
            reason: index % 5 === 0 ? 'better than production by 0.012' : 'not better than production by the margin',
          },
        }
      : {}),
    costUsd: Math.round(nodeMinutes * 0.01 * 10_000) / 10_000,
    nodeMinutes,
    tornDown: true,
    ...(status === 'failed' ? { error: { code: 'TRAIN.ALL_FAILED', message: 'every candidate failed' } } : {}),
  };
  return { run, candidates: records };
}

/**
 * A long run history in the app's own stores, for the dashboard's benchmark and tests: one image pipeline, `runs` runs an
 * hour apart with `candidatesPerRun` candidates each, and a production model version. Idempotent: the same options
 * write the same documents.
 */
export async function seedDashboard(stores: SeedStores, options: DashboardSeedOptions = {}): Promise<DashboardSeed> {
  const pipeline = options.pipeline ?? 'seeded';
  const runCount = options.runs ?? 1000;
  const perRun = options.candidatesPerRun ?? 20;
  const now = options.now ?? new Date();
  const spec = requireValidSpec({
    name: pipeline,
    scenario: 'image-classification',
    data: { source: { container: 'canopy-landing', prefix: `${pipeline}/` } },
    compute: { target: 'local-spark' },
    candidates: { classifiers: [{ type: 'logistic_regression' }], maxConcurrent: 2 },
  });
  await stores.specs.save(spec, now);
  const random = sequence(runCount * 7919 + perRun);
  const seeded = Array.from({ length: runCount }, (_, i) =>
    seededRun(pipeline, i, new Date(now.getTime() - (runCount - i) * 3_600_000), perRun, random),
  );
  await stores.runs.importRuns(pipeline, { runs: seeded.map((s) => s.run), candidates: seeded.flatMap((s) => s.candidates) });
  const newest = [...seeded].reverse().find((s) => s.run.best);
  let productionVersion = 0;
  if (newest?.run.best) {
    const best = newest.candidates.find((c) => c.candidateId === newest.run.best!.candidateId)!;
    const version = await stores.registry.createVersion(
      pipeline,
      {
        packageUri: `http://127.0.0.1/canopy-artifacts/${pipeline}/${newest.run.instanceId}/model/`,
        metrics: best.metrics!,
        lineage: {
          pipeline,
          instanceId: newest.run.instanceId,
          candidateId: best.candidateId,
          classifier: best.classifier,
          featurizer: best.featurizer,
          params: best.params,
          specVersion: newest.run.specVersion,
          dataSnapshot: newest.run.dataVersion,
        },
      },
      now,
    );
    await stores.registry.promote(pipeline, version.version, now);
    productionVersion = version.version;
  }
  return {
    pipeline,
    runs: runCount,
    candidates: runCount * perRun,
    instanceIds: seeded.map((s) => s.run.instanceId).reverse(),
    productionVersion,
  };
}
