import { PipelineRun } from '../../shared/ports/runStore';
import { activity } from '../durable/contract';

export { trainingPipelineName, cancelEventName } from '../../shared/domain/pipelineRun';
export type { PipelineInput, RunRef, Stage } from '../../shared/domain/pipelineRun';
import type { RunRef, Stage } from '../../shared/domain/pipelineRun';
import { RegisteredModel } from '../deployModel/contracts';

export interface CandidateCounts {
  total: number;
  done: number;
  failed: number;
  running: number;
}

export interface PipelineStatus {
  stage: Stage;
  candidates: CandidateCounts;
  startedAt: string;
  elapsedSeconds: number;
  estimatedCostUsd: number;
  nodeMinutes: number;
  /** The child orchestration the run waits on now; its custom status has the live detail (candidates while training). */
  activeChild?: string;
  copy?: { copied: number; skipped: number; failed: number };
  cancelRequested?: boolean;
}

export interface CopyPageResult {
  copied: number;
  skipped: number;
  failed: number;
  failures: string[];
  next?: string;
}

export interface SelectionResult {
  best: { candidateId: string; classifier: string; featurizer: string; metric: string; value: number };
  promote: boolean;
  reason: string;
}

export interface PipelineSummary {
  pipelineStatus: 'succeeded' | 'failed' | 'cancelled';
  candidates: { total: number; succeeded: number; failed: number };
  best?: SelectionResult['best'];
  decision?: { promoted: boolean; reason: string; modelVersion?: number };
  deployed?: { name: string; endpoint: string; scoredLabel: string };
  tornDown: boolean;
  stageSeconds: Record<string, number>;
  error?: { code: string; message: string };
}

/** The run document's live part, written at every stage change. */
export interface RunProgressRecord {
  run: RunRef;
  stage: Stage;
  stageSeconds: Record<string, number>;
  candidates: PipelineRun['candidates'];
  costUsd: number;
  nodeMinutes: number;
}

export const pipelineActivities = {
  recordRunStart: activity<{ run: RunRef; dataVersion: string; trigger: string; startedAt: string; candidates: number }, object>(
    'pipeline_recordRunStart',
  ),
  recordRunProgress: activity<RunProgressRecord, object>('pipeline_recordRunProgress'),
  checkInputData: activity<{ run: RunRef }, { blobs: number }>('pipeline_checkInputData'),
  copyDataPage: activity<{ run: RunRef; continuation?: string }, CopyPageResult>('pipeline_copyDataPage'),
  selectModel: activity<{ run: RunRef }, SelectionResult>('pipeline_selectModel'),
  registerModel: activity<{ run: RunRef; best: SelectionResult['best']; dataVersion: string }, RegisteredModel>('pipeline_registerModel'),
  recordRunEnd: activity<{ run: RunRef; summary: PipelineSummary; endedAt: string; costUsd: number; nodeMinutes: number }, object>(
    'pipeline_recordRunEnd',
  ),
};
