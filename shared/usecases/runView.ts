import { CandidateRun, PipelineRun } from '../ports/runStore';
import { metricValue } from '../domain/selection';

/** The stages in the order a run goes through them. */
export const stageOrder = ['validate', 'provision', 'copy', 'train', 'select', 'register', 'deploy', 'teardown'] as const;

export interface TimelineStage {
  stage: string;
  seconds: number;
  /** Seconds since the run started, on the same axis as the candidates' bars. */
  startOffsetSeconds: number;
}

export interface CandidateBar {
  candidateId: string;
  featurizer: string;
  classifier: string;
  params: CandidateRun['params'];
  status: CandidateRun['status'];
  startedAt?: string;
  endedAt?: string;
  durationSeconds?: number;
  startOffsetSeconds?: number;
  costUsd?: number;
  accuracy?: number;
  classAverageAccuracy?: number;
  macroRocAuc?: number;
  error?: CandidateRun['error'];
}

export interface RunFailure {
  error: { code: string; message: string };
  /** The end of the failed job's log, as the compute target reported it. */
  logTail: string | null;
}

/** What the live status of a run adds to its record while it goes. */
export interface LiveRunStatus {
  stage?: string;
  copy?: { copied: number; skipped: number; failed: number };
  estimatedCostUsd?: number;
}

const logTailChars = 4000;

const secondsBetween = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / 100) / 10;

/** Stages that ran, back to back from the run's start, in stage order. */
export function stageTimeline(stageSeconds: Record<string, number>): TimelineStage[] {
  let offset = 0;
  return stageOrder
    .filter((stage) => stageSeconds[stage] !== undefined)
    .map((stage) => {
      const entry = { stage, seconds: stageSeconds[stage], startOffsetSeconds: Math.round(offset * 10) / 10 };
      offset += stageSeconds[stage];
      return entry;
    });
}

const finite = (n: number) => (Number.isFinite(n) ? n : undefined);

export function candidateBars(candidates: CandidateRun[], runStartedAt: string | undefined): CandidateBar[] {
  return [...candidates]
    .sort((a, b) => a.candidateId.localeCompare(b.candidateId))
    .map((c) => ({
      candidateId: c.candidateId,
      featurizer: c.featurizer,
      classifier: c.classifier,
      params: c.params,
      status: c.status,
      startedAt: c.startedAt,
      endedAt: c.endedAt,
      durationSeconds: c.durationSeconds,
      startOffsetSeconds: c.startedAt && runStartedAt ? secondsBetween(runStartedAt, c.startedAt) : undefined,
      costUsd: c.costUsd,
      accuracy: c.metrics?.accuracy,
      classAverageAccuracy: c.metrics?.classAverageAccuracy,
      macroRocAuc: c.metrics ? finite(metricValue('macroRocAuc', c.metrics)) : undefined,
      error: c.error,
    }));
}

/** Why a failed run failed, with the end of the first failed candidate's job log when a job failed. */
export function runFailure(run: PipelineRun | undefined, candidates: CandidateRun[]): RunFailure | null {
  if (run?.status !== 'failed') return null;
  const failedJob = candidates.find((c) => c.status === 'failed' && c.error?.message);
  const log = failedJob?.error?.message;
  return {
    error: run.error ?? failedJob?.error ?? { code: 'RUN.FAILED', message: 'the run failed' },
    logTail: log ? log.slice(-logTailChars) : null,
  };
}

/** Duration of a run: to its end, or to now while it goes. */
export function runDurationSeconds(run: PipelineRun, now: Date): number {
  return secondsBetween(run.startedAt, run.endedAt ?? now.toISOString());
}
