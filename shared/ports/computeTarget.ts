import { BlobRef } from './blobStore';

export type ClusterState = 'creating' | 'running' | 'failed' | 'deleting' | 'deleted';

export interface ClusterRequest {
  name: string;
  headVmSize: string;
  workerVmSize: string;
  workerNodes: number;
  tags: Record<string, string>;
}

export interface ClusterStatus {
  state: ClusterState;
  error?: string;
}

export type SparkJob = 'image_train' | 'workload_etl' | 'workload_train' | 'batch_score';

export interface BatchRequest {
  /** Unique per candidate and run; submitting the same name twice returns the first batch. */
  name: string;
  job: SparkJob;
  input: { container: string; prefix: string };
  output: { container: string; prefix: string };
  /** Named featurizer for image jobs (e.g. `squeezenet1.1`); the target resolves where it lives. */
  featurizer?: string;
  /** A model package folder the job reads (`--model`), e.g. for `batch_score`; the target makes it reachable like the input. */
  model?: { container: string; prefix: string };
  args: string[];
}

export type BatchState = 'starting' | 'running' | 'success' | 'dead' | 'killed';

/** A finished part of a batch's output: a grid batch's candidate folder, ended by `_SUCCESS` or `_FAILED`. */
export type BatchPartState = 'success' | 'failed';

export interface BatchStatus {
  state: BatchState;
  /** The last lines of the job's log when it did not succeed. */
  log?: string;
}

/**
 * Spark compute: HDInsight with Livy batches in Azure, a local Spark per "cluster" locally. Every
 * method is idempotent and returns quickly; callers poll with durable timers.
 */
export interface ComputeTarget {
  readonly kind: string;
  beginCreateCluster(request: ClusterRequest): Promise<void>;
  getCluster(name: string): Promise<ClusterStatus | undefined>;
  beginDeleteCluster(name: string): Promise<void>;
  submitBatch(cluster: string, request: BatchRequest): Promise<{ batchId: string }>;
  getBatch(cluster: string, batchId: string): Promise<BatchStatus | undefined>;
  killBatch(cluster: string, batchId: string): Promise<void>;
  /**
   * One part (sub-folder `<part>/`) of a running or ended batch's output: once the job has written its `_SUCCESS` or
   * `_FAILED`, the part is brought to where `outputRef` points (`<output prefix><part>/…`) and its state returned;
   * `undefined` while it is unfinished. Lets a grid batch's candidates be recorded while the others still train.
   */
  getBatchPart(cluster: string, batchId: string, part: string): Promise<BatchPartState | undefined>;
  /** Where a batch's outputs land once it succeeded. */
  outputRef(request: Pick<BatchRequest, 'output'>, file: string): BlobRef;
}
