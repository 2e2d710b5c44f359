import { BlobStore } from '../../shared/ports/blobStore';
import { BatchRequest, BatchStatus, ComputeTarget } from '../../shared/ports/computeTarget';

/** A Livy batch as the fake understood its body: a batch request of the port, on a cluster, keyed by its Livy id. */
export type LivyJob = Omit<BatchRequest, 'name'> & { cluster: string; key: string };

/** Runs the batches the Livy fake accepts. */
export interface LivyRunner {
  start(job: LivyJob): Promise<void>;
  status(job: LivyJob): Promise<BatchStatus>;
  kill(job: LivyJob): Promise<void>;
}

/**
 * Really runs each batch on local Spark: the cluster storage is Azurite, so the abfs locations of the batch map to
 * containers and prefixes there, and the given compute target (the app's local Spark one, which the caller builds)
 * stages the input, runs `jobs/spark-submit.sh` and uploads the output to where the batch said, as Spark on HDInsight
 * writes it. Only the port is used: the fakes depend on the app through its ports alone.
 */
export class LocalSparkLivyRunner implements LivyRunner {
  constructor(private readonly spark: ComputeTarget) {}

  async start(job: LivyJob): Promise<void> {
    if ((await this.spark.getCluster(job.cluster))?.state !== 'running')
      await this.spark.beginCreateCluster({ name: job.cluster, headVmSize: '', workerVmSize: '', workerNodes: 1, tags: {} });
    const request: BatchRequest = { name: `livy-${job.key}`, job: job.job, input: job.input, output: job.output, args: job.args };
    await this.spark.submitBatch(job.cluster, { ...request, featurizer: job.featurizer, model: job.model });
  }

  async status(job: LivyJob): Promise<BatchStatus> {
    return (await this.spark.getBatch(job.cluster, `livy-${job.key}`)) ?? { state: 'dead', log: 'the local batch is gone' };
  }

  async kill(job: LivyJob): Promise<void> {
    await this.spark.killBatch(job.cluster, `livy-${job.key}`);
  }
}

export interface RecordedOutcome {
  /** How long the batch is `starting`, then `running`, before it ends. */
  startingMs: number;
  runningMs: number;
  /** `success` writes `files` under the output prefix; `dead` ends with `log`. */
  ends: 'success' | 'dead';
  files?: Record<string, string | Buffer>;
  log?: string[];
  /** A grid batch's (`--grid`) candidates that end with `_FAILED` instead of the files. */
  failedCandidates?: string[];
}

/** The candidate ids of a grid batch (`--grid <json>`), or none for a one-candidate batch. */
export function gridCandidateIds(args: string[]): string[] {
  const at = args.indexOf('--grid');
  if (at < 0) return [];
  const grid = JSON.parse(args[at + 1] ?? '[]') as { id: string }[];
  return grid.map((candidate) => candidate.id);
}

/** Metrics a recorded `image_train`/`workload_train` batch leaves, in the shape the jobs write. */
export const recordedMetrics = { accuracy: 0.8, classAverageAccuracy: 0.79, rocAuc: { a: 0.9, b: 0.88 } };

/**
 * Plays back recorded outcomes without Spark: each batch starts, runs and ends on a timeline, and a successful one
 * leaves its recorded files (by default `metrics.json`, a model manifest without a model, and `_SUCCESS`) in the cluster storage,
 * under each candidate's folder for a grid batch. `next(outcome)` sets
 * how the next submitted batch ends (e.g. `dead` with a log); `hold` keeps every batch running until it is killed.
 */
export class RecordedLivyRunner implements LivyRunner {
  readonly #started = new Map<string, { at: number; outcome: RecordedOutcome; killed: boolean; written: boolean }>();
  readonly #queued: RecordedOutcome[] = [];
  hold = false;

  constructor(
    private readonly storage: BlobStore,
    private readonly defaults: RecordedOutcome = {
      startingMs: 200,
      runningMs: 600,
      ends: 'success',
      files: { 'metrics.json': JSON.stringify(recordedMetrics), 'model/manifest.json': '{}', _SUCCESS: '' },
    },
  ) {}

  /** How the next submitted batch ends (queued: one outcome per batch). */
  next(outcome: Partial<RecordedOutcome>): void {
    this.#queued.push({ ...this.defaults, ...outcome });
  }

  async start(job: LivyJob): Promise<void> {
    this.#started.set(job.key, { at: Date.now(), outcome: this.#queued.shift() ?? this.defaults, killed: false, written: false });
  }

  async status(job: LivyJob): Promise<BatchStatus> {
    const run = this.#started.get(job.key);
    if (!run) return { state: 'dead', log: 'unknown batch' };
    if (run.killed) return { state: 'killed' };
    const elapsed = Date.now() - run.at;
    if (elapsed < run.outcome.startingMs) return { state: 'starting' };
    if (this.hold || elapsed < run.outcome.startingMs + run.outcome.runningMs) return { state: 'running' };
    if (run.outcome.ends === 'dead') return { state: 'dead', log: (run.outcome.log ?? ['the job failed']).join('\n') };
    if (!run.written) {
      await this.storage.ensureContainer(job.output.container);
      const parts = gridCandidateIds(job.args);
      for (const part of parts.length ? parts.map((id) => `${id}/`) : ['']) {
        const failed = run.outcome.failedCandidates?.includes(part.slice(0, -1));
        const files = failed
          ? [['_FAILED', JSON.stringify({ message: 'the recorded candidate failed', log: 'recorded failure' })]]
          : Object.entries(run.outcome.files ?? {});
        // `_SUCCESS` last, as Spark commits it.
        for (const [name, content] of [...files.filter(([n]) => n !== '_SUCCESS'), ...files.filter(([n]) => n === '_SUCCESS')])
          await this.storage.create({ container: job.output.container, name: `${job.output.prefix}${part}${name}` }, content);
      }
      run.written = true;
    }
    return { state: 'success' };
  }

  async kill(job: LivyJob): Promise<void> {
    const run = this.#started.get(job.key);
    if (run) run.killed = true;
  }
}
