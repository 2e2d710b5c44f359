import { Composition } from '../../../shared/composition';
import { PipelineSpec } from '../../../shared/domain/pipelineSpec';
import { Candidate } from '../../../shared/domain/candidateGrid';
import {
  candidateOutput,
  candidatesOutput,
  etlOutput,
  dataSnapshot,
  RunIdentity,
  trainingInput,
} from '../../../shared/domain/runLocations';
import { gridBatchName } from '../../../shared/domain/trainingBatches';
import {
  closeOpenCandidates,
  recordCandidateFailed,
  recordCandidateSubmitted,
  recordCandidateSucceeded,
} from '../../../shared/usecases/candidateRecords';
import { toCanopyError } from '../../../shared/errors';
import { CandidateRun } from '../../../shared/ports/runStore';
import { failure, HandlersOf } from '../../durable/contract';
import { specOf } from '../../hosting/runSpec';
import { CandidateOutcome, CandidateRef, trainActivities } from '../contracts';

const jobOf = (spec: PipelineSpec) => (spec.scenario === 'image-classification' ? 'image_train' : 'workload_train');
const commonArgs = (spec: PipelineSpec) => ['--sample-fraction', String(spec.sampleFraction), '--seed', String(spec.seed)];
/** With `etl`, the batch trains on the data snapshot and runs the ETL into its own output first (`workload_train --etl`). */
const inputOf = (run: RunIdentity, spec: PipelineSpec, etl: boolean) => (etl ? dataSnapshot(run, spec) : trainingInput(run, spec));
const etlArgs = (etl: boolean) => (etl ? ['--etl'] : []);
const gridArg = (candidates: Candidate[]) => JSON.stringify(candidates.map(({ id, classifier, params }) => ({ id, classifier, params })));

/** What a grid candidate's `_FAILED` holds. */
interface CandidateFailure {
  message?: string;
  log?: string;
}

export function createTrainActivities({
  compute,
  specs,
  runs,
  blobs,
  clock,
}: Pick<Composition, 'compute' | 'specs' | 'runs' | 'blobs' | 'clock'>): HandlersOf<typeof trainActivities> {
  const records = { runs, clock };
  const recordRef = ({ run, candidate }: Pick<CandidateRef, 'run' | 'candidate'>) => ({
    pipeline: run.pipeline,
    instanceId: run.instanceId,
    candidate,
  });

  /**
   * Records a candidate whose batch (or grid part) succeeded, from its metrics.json. Outputs missing from storage are
   * asked of the target once more (`reread`: a local target uploads them again from the batch folder, as a crash of
   * storage may have lost them); a candidate still without them fails.
   */
  async function recordSucceeded(
    spec: PipelineSpec,
    ref: CandidateRef,
    batchId: string,
    costPerHour: number,
    reread: () => Promise<unknown>,
  ): Promise<{ ok: true; accuracy: number } | { ok: false }> {
    const output = candidateOutput(ref.run, spec, ref.candidate.id);
    const target = compute(ref.cluster.target);
    const metricsRef = target.outputRef({ output }, 'metrics.json');
    const successRef = target.outputRef({ output }, '_SUCCESS');
    const read = async () => ({ metricsText: await blobs.get(metricsRef), success: await blobs.getInfo(successRef) });
    let { metricsText, success } = await read();
    if (!metricsText || !success) {
      await reread();
      ({ metricsText, success } = await read());
    }
    if (!metricsText || !success) {
      const message = 'the batch succeeded but left no metrics.json and _SUCCESS';
      await recordCandidateFailed(records, recordRef(ref), { code: 'TRAIN.NO_OUTPUT', message, batchId });
      return { ok: false };
    }
    const metrics = JSON.parse(metricsText.toString('utf8')) as NonNullable<CandidateRun['metrics']>;
    await recordCandidateSucceeded(records, recordRef(ref), {
      metrics,
      costPerHour,
      artifacts: {
        output: blobs.url({ container: output.container, name: output.prefix }),
        metrics: blobs.url(metricsRef),
        model: blobs.url(target.outputRef({ output }, 'model/')),
      },
    });
    return { ok: true, accuracy: metrics.accuracy };
  }

  return {
    async submitEtl({ run, cluster }) {
      const spec = await specOf(specs, run);
      const request = { name: 'etl', job: 'workload_etl' as const, input: dataSnapshot(run, spec), output: etlOutput(run, spec), args: [] };
      const { batchId } = await compute(cluster.target).submitBatch(cluster.name, request);
      return { ok: true, batchId };
    },

    async submitCandidate(ref) {
      const { run, cluster, candidate, etl } = ref;
      const spec = await specOf(specs, run);
      const output = candidateOutput(run, spec, candidate.id);
      try {
        const { batchId } = await compute(cluster.target).submitBatch(cluster.name, {
          name: candidate.id,
          job: jobOf(spec),
          input: inputOf(run, spec, etl),
          output,
          featurizer: spec.scenario === 'image-classification' ? candidate.featurizer : undefined,
          args: [
            ...['--classifier', candidate.classifier, '--params', JSON.stringify(candidate.params)],
            ...etlArgs(etl),
            ...commonArgs(spec),
          ],
        });
        await recordCandidateSubmitted(records, recordRef(ref), {
          batchId,
          output: blobs.url({ container: output.container, name: output.prefix }),
        });
        return { ok: true, batchId };
      } catch (err) {
        const error = toCanopyError(err);
        if (error.transient) throw error;
        await recordCandidateFailed(records, recordRef(ref), { code: 'TRAIN.SUBMIT_FAILED', message: error.message });
        return failure('TRAIN.SUBMIT_FAILED', error.message);
      }
    },

    async getBatchState({ cluster, batchId }) {
      const status = await compute(cluster.target).getBatch(cluster.name, batchId);
      return { ok: true, ...(status ?? { state: 'dead', log: `batch ${batchId} is unknown to the compute target` }) };
    },

    async collectCandidate(ref) {
      const { run, cluster, candidate, batchId, costPerHour } = ref;
      const spec = await specOf(specs, run);
      const outcome = await recordSucceeded(spec, { run, cluster, candidate }, batchId, costPerHour, () =>
        compute(cluster.target).getBatch(cluster.name, batchId),
      );
      return outcome.ok
        ? { ok: true, accuracy: outcome.accuracy }
        : failure('TRAIN.NO_OUTPUT', `candidate ${candidate.id} left no metrics`);
    },

    async submitGrid({ run, cluster, featurizer, candidates, parallelism, etl }) {
      const spec = await specOf(specs, run);
      let batchId: string;
      try {
        ({ batchId } = await compute(cluster.target).submitBatch(cluster.name, {
          name: gridBatchName(featurizer),
          job: jobOf(spec),
          input: inputOf(run, spec, etl),
          output: candidatesOutput(run, spec),
          featurizer: spec.scenario === 'image-classification' ? featurizer : undefined,
          args: ['--grid', gridArg(candidates), '--parallelism', String(parallelism), ...etlArgs(etl), ...commonArgs(spec)],
        }));
      } catch (err) {
        const error = toCanopyError(err);
        if (error.transient) throw error;
        for (const candidate of candidates)
          await recordCandidateFailed(records, recordRef({ run, candidate }), { code: 'TRAIN.SUBMIT_FAILED', message: error.message });
        return failure('TRAIN.SUBMIT_FAILED', error.message);
      }
      for (const candidate of candidates) {
        const candidateFolder = candidateOutput(run, spec, candidate.id);
        await recordCandidateSubmitted(records, recordRef({ run, candidate }), {
          batchId,
          output: blobs.url({ container: candidateFolder.container, name: candidateFolder.prefix }),
        });
      }
      return { ok: true, batchId };
    },

    async collectGrid({ run, cluster, batchId, candidates, costPerHour }) {
      const spec = await specOf(specs, run);
      const target = compute(cluster.target);
      const settled: CandidateOutcome[] = [];
      for (const candidate of candidates) {
        const state = await target.getBatchPart(cluster.name, batchId, candidate.id);
        if (state === 'success') {
          const outcome = await recordSucceeded(spec, { run, cluster, candidate }, batchId, costPerHour, () =>
            target.getBatchPart(cluster.name, batchId, candidate.id),
          );
          settled.push({ candidateId: candidate.id, ok: outcome.ok, code: outcome.ok ? undefined : 'TRAIN.NO_OUTPUT' });
        } else if (state === 'failed') {
          const output = candidateOutput(run, spec, candidate.id);
          const failed = await blobs.get(target.outputRef({ output }, '_FAILED'));
          const details = parseFailure(failed?.toString('utf8'));
          const message = [details.message ?? 'the candidate failed', details.log].filter(Boolean).join('\n');
          await recordCandidateFailed(records, recordRef({ run, candidate }), { code: 'TRAIN.CANDIDATE_FAILED', message, batchId });
          settled.push({ candidateId: candidate.id, ok: false, code: 'TRAIN.CANDIDATE_FAILED' });
        }
      }
      return { ok: true, settled };
    },

    async recordGridFailure({ run, cluster, batchId, candidates, code, message, kill }) {
      if (kill) await compute(cluster.target).killBatch(cluster.name, batchId);
      for (const candidate of candidates) await recordCandidateFailed(records, recordRef({ run, candidate }), { code, message, batchId });
      return { ok: true };
    },

    async recordCandidateFailure(ref) {
      if (ref.kill) await compute(ref.cluster.target).killBatch(ref.cluster.name, ref.batchId);
      await recordCandidateFailed(records, recordRef(ref), { code: ref.code, message: ref.message, batchId: ref.batchId });
      return { ok: true };
    },

    async abandonCandidates({ run, cluster, batchIds, status, code, message }) {
      const target = compute(cluster.target);
      for (const batchId of batchIds) await target.killBatch(cluster.name, batchId);
      await closeOpenCandidates(records, run, status, { code, message });
      return { ok: true };
    },
  };
}

function parseFailure(text: string | undefined): CandidateFailure {
  try {
    const parsed: unknown = text ? JSON.parse(text) : {};
    return parsed && typeof parsed === 'object' ? (parsed as CandidateFailure) : {};
  } catch {
    return { message: text };
  }
}
