import { CandidateMetrics } from '../domain/selection';

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';
export type CandidateStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';

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

/** Run history: each pipeline run and each candidate run, comparable across runs. */
export interface RunStore {
  upsertPipelineRun(run: PipelineRun): Promise<void>;
  getPipelineRun(pipeline: string, instanceId: string): Promise<PipelineRun | undefined>;
  listPipelineRuns(pipeline: string, options?: { top?: number; continuation?: string }): Promise<{ items: PipelineRun[]; next?: string }>;
  upsertCandidateRun(run: CandidateRun): Promise<void>;
  getCandidateRun(pipeline: string, instanceId: string, candidateId: string): Promise<CandidateRun | undefined>;
  listCandidateRuns(pipeline: string, instanceId?: string): Promise<CandidateRun[]>;
}
