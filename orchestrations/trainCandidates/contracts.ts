import { Candidate } from '../../shared/domain/candidateGrid';
import { activity, subOrchestration } from '../durable/contract';
import { ClusterHandle } from '../provisionCluster/contracts';
import { RunRef } from '../../shared/domain/pipelineRun';

export interface TrainInput {
  run: RunRef;
  cluster: ClusterHandle;
  candidates: Candidate[];
  /**
   * Tabular runs parse, clean and featurize the raw logs once (`workload_etl`): inside the one training batch when the
   * plan has a single batch, else as a batch of its own before the candidates.
   */
  etlFirst: boolean;
  maxConcurrent: number;
  candidateTimeoutMinutes: number;
  /** The longest one batch may run: grids that fit train in one application each (see `planTrainingBatches`). */
  batchTimeLimitMinutes: number;
  pollSeconds: number;
  /** The cluster's cost rate, shared by the candidates that run at once. */
  computeCostPerHour: number;
}

export interface CandidateOutcome {
  candidateId: string;
  ok: boolean;
  code?: string;
}

export interface TrainResult {
  outcomes: CandidateOutcome[];
  /** Every batch submitted, ETL included: teardown kills any still alive. */
  batchIds: string[];
}

/** Progress, in the child's custom status. */
export interface TrainProgress {
  total: number;
  done: number;
  failed: number;
  running: number;
}

export const trainCandidatesOrchestration = subOrchestration<TrainInput, TrainResult>('trainCandidates');

export interface BatchRef {
  cluster: ClusterHandle;
  batchId: string;
}

export interface CandidateRef {
  run: RunRef;
  cluster: ClusterHandle;
  candidate: Candidate;
}

/** A featurizer's grid, trained by one batch `parallelism` candidates at a time. */
export interface GridRef {
  run: RunRef;
  cluster: ClusterHandle;
  featurizer: string;
  candidates: Candidate[];
  parallelism: number;
  /** The batch runs the tabular ETL first (or reuses its finished output), training on the data snapshot. */
  etl: boolean;
}

export interface GridBatchRef {
  run: RunRef;
  cluster: ClusterHandle;
  batchId: string;
  /** The grid's candidates not settled yet. */
  candidates: Candidate[];
}

export const trainActivities = {
  submitEtl: activity<{ run: RunRef; cluster: ClusterHandle }, { batchId: string }>('train_submitEtl'),
  submitCandidate: activity<CandidateRef & { etl: boolean }, { batchId: string }>('train_submitCandidate'),
  getBatchState: activity<BatchRef, { state: string; log?: string }>('train_getBatchState'),
  collectCandidate: activity<CandidateRef & { batchId: string; costPerHour: number }, { accuracy: number }>('train_collectCandidate'),
  recordCandidateFailure: activity<CandidateRef & { batchId: string; code: string; message: string; kill: boolean }, object>(
    'train_recordCandidateFailure',
  ),
  submitGrid: activity<GridRef, { batchId: string }>('train_submitGrid'),
  /** Records the grid's candidates whose outputs have appeared (`_SUCCESS` or `_FAILED`); the others stay pending. */
  collectGrid: activity<GridBatchRef & { costPerHour: number }, { settled: CandidateOutcome[] }>('train_collectGrid'),
  recordGridFailure: activity<GridBatchRef & { code: string; message: string; kill: boolean }, object>('train_recordGridFailure'),
  /** A cancelled or failed training kills what still runs and closes the candidates it leaves open. */
  abandonCandidates: activity<
    { run: RunRef; cluster: ClusterHandle; batchIds: string[]; status: 'cancelled' | 'failed'; code: string; message: string },
    object
  >('train_abandonCandidates'),
};
