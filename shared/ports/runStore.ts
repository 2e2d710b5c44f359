import { CandidateMetrics } from '../domain/selection';

/** `terminated`: the orchestration was ended from outside (Durable terminate), and the reaper recorded it. */
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'terminated';
export type CandidateStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'terminated';

export interface CandidateRun {
  pipeline: string;
  instanceId: string;
  candidateId: string;
  featurizer: string;
  classifier: string;
  params: Record<string, number | string | boolean>;
  status: CandidateStatus;
  batchId?: string;
  metrics?: CandidateMetrics & Record<string, unknown>;
  artifacts?: { output: string; metrics?: string; model?: string };
  startedAt?: string;
  endedAt?: string;
  durationSeconds?: number;
  costUsd?: number;
  error?: { code: string; message: string };
}

export interface PipelineRun {
  pipeline: string;
  instanceId: string;
  specVersion: number;
  dataVersion: string;
  trigger: string;
  status: RunStatus;
  stage: string;
  startedAt: string;
  endedAt?: string;
  stageSeconds: Record<string, number>;
  candidates: { total: number; succeeded: number; failed: number };
  best?: { candidateId: string; classifier: string; featurizer: string; metric: string; value: number };
  decision?: { promoted: boolean; reason: string; modelVersion?: number };
  deployment?: { name: string; endpoint: string };
  costUsd: number;
  /** Billed node-minutes of the run's own cluster, the quantity `costUsd` prices. */
  nodeMinutes?: number;
  tornDown?: boolean;
  error?: { code: string; message: string };
}

export const runSortFields = ['startedAt', 'costUsd', 'nodeMinutes', 'bestValue'] as const;
export type RunSortField = (typeof runSortFields)[number];

/** A page of a pipeline's runs. Sorting by a field a run lacks (`nodeMinutes`, `bestValue`) leaves that run out. */
export interface RunQuery {
  top?: number;
  continuation?: string;
  status?: RunStatus;
  trigger?: string;
  /** Default `startedAt`, newest first. */
  sortBy?: RunSortField;
  order?: 'asc' | 'desc';
}

/** Metrics every candidate record stores as a number (`macroRocAuc` is derived from the per-class AUCs). */
export const storedMetrics = ['accuracy', 'classAverageAccuracy'] as const;
export type StoredMetric = (typeof storedMetrics)[number];

/** What the cost-over-time chart needs of a run, without its stage and candidate detail. */
export interface RunCost {
  pipeline: string;
  instanceId: string;
  startedAt: string;
  status: RunStatus;
  costUsd: number;
  nodeMinutes?: number;
}

/** Run history: each pipeline run and each candidate run, comparable across runs. */
export interface RunStore {
  upsertPipelineRun(run: PipelineRun): Promise<void>;
  getPipelineRun(pipeline: string, instanceId: string): Promise<PipelineRun | undefined>;
  listPipelineRuns(pipeline: string, options?: RunQuery): Promise<{ items: PipelineRun[]; next?: string }>;
  /** The pipeline's runs started at or after `since`, oldest first. */
  listRunCosts(pipeline: string, since: Date): Promise<RunCost[]>;
  upsertCandidateRun(run: CandidateRun): Promise<void>;
  /** Upserts many records of one pipeline in as few requests as the store allows (a history import, a benchmark's seed). */
  importRuns(pipeline: string, records: { runs: PipelineRun[]; candidates: CandidateRun[] }): Promise<void>;
  getCandidateRun(pipeline: string, instanceId: string, candidateId: string): Promise<CandidateRun | undefined>;
  listCandidateRuns(pipeline: string, instanceId?: string): Promise<CandidateRun[]>;
  /** The pipeline's `top` succeeded candidates with the highest `metric`, best first. */
  topCandidateRuns(pipeline: string, metric: StoredMetric, top: number): Promise<CandidateRun[]>;
}
