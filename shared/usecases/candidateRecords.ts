import { Candidate } from '../domain/candidateGrid';
import { costOf } from '../domain/cost';
import { Clock } from '../ports/clock';
import { CandidateRun, RunStore } from '../ports/runStore';

export interface CandidateRecordDeps {
  runs: RunStore;
  clock: Clock;
}

/** Which candidate of which run a record is about. */
export interface CandidateRef {
  pipeline: string;
  instanceId: string;
  candidate: Candidate;
}

/** Error messages are cut to their end, where a Spark log says what went wrong. */
const maxErrorMessage = 2000;

const errorOf = (code: string, message: string): CandidateRun['error'] => ({ code, message: message.slice(-maxErrorMessage) });

function identityOf(
  ref: CandidateRef,
): Pick<CandidateRun, 'pipeline' | 'instanceId' | 'candidateId' | 'featurizer' | 'classifier' | 'params'> {
  return {
    pipeline: ref.pipeline,
    instanceId: ref.instanceId,
    candidateId: ref.candidate.id,
    featurizer: ref.candidate.featurizer,
    classifier: ref.candidate.classifier,
    params: ref.candidate.params,
  };
}

const secondsBetween = (startedAt: string | undefined, endedAt: string): number | undefined =>
  startedAt === undefined ? undefined : Math.max(0, (new Date(endedAt).getTime() - new Date(startedAt).getTime()) / 1000);

const recordOf = (deps: CandidateRecordDeps, ref: CandidateRef): Promise<CandidateRun | undefined> =>
  deps.runs.getCandidateRun(ref.pipeline, ref.instanceId, ref.candidate.id);

/** The candidate's batch is submitted: it runs from now, or from its first submission when this one is a re-run. */
export async function recordCandidateSubmitted(
  deps: CandidateRecordDeps,
  ref: CandidateRef,
  submitted: { batchId: string; output: string },
): Promise<void> {
  const existing = await recordOf(deps, ref);
  await deps.runs.upsertCandidateRun({
    ...identityOf(ref),
    status: 'running',
    batchId: submitted.batchId,
    startedAt: existing?.startedAt ?? deps.clock.now().toISOString(),
    artifacts: { output: submitted.output },
  });
}

/**
 * The candidate trained: its metrics and where its outputs are; `endedAt` defaults to now. Its cost is its share of
 * the cluster's rate (`costPerHour`) over the time it ran.
 */
export async function recordCandidateSucceeded(
  deps: CandidateRecordDeps,
  ref: CandidateRef,
  result: { metrics: CandidateRun['metrics']; artifacts: CandidateRun['artifacts']; costPerHour?: number; endedAt?: string },
): Promise<void> {
  const existing = await recordOf(deps, ref);
  const endedAt = result.endedAt ?? deps.clock.now().toISOString();
  const durationSeconds = secondsBetween(existing?.startedAt, endedAt);
  await deps.runs.upsertCandidateRun({
    ...(existing ?? identityOf(ref)),
    status: 'succeeded',
    metrics: result.metrics,
    artifacts: result.artifacts,
    endedAt,
    durationSeconds,
    costUsd: result.costPerHour === undefined ? undefined : costOf(result.costPerHour, durationSeconds ?? 0),
    error: undefined,
  });
}

/**
 * The candidate failed: it could not be submitted, its batch died, or it left no output. A candidate with no
 * record yet failed before it started, so it started and ended at once.
 */
export async function recordCandidateFailed(
  deps: CandidateRecordDeps,
  ref: CandidateRef,
  failure: { code: string; message: string; batchId?: string; endedAt?: string },
): Promise<void> {
  const existing = await recordOf(deps, ref);
  const endedAt = failure.endedAt ?? deps.clock.now().toISOString();
  const startedAt = existing?.startedAt ?? endedAt;
  await deps.runs.upsertCandidateRun({
    ...(existing ?? identityOf(ref)),
    status: 'failed',
    batchId: failure.batchId ?? existing?.batchId,
    startedAt,
    endedAt,
    durationSeconds: secondsBetween(startedAt, endedAt),
    error: errorOf(failure.code, failure.message),
  });
}

/** Ends every candidate of a run that is still pending or running, as the run ends; returns how many. */
export async function closeOpenCandidates(
  deps: CandidateRecordDeps,
  run: { pipeline: string; instanceId: string },
  status: 'cancelled' | 'failed',
  reason: { code: string; message: string },
): Promise<number> {
  const open = (await deps.runs.listCandidateRuns(run.pipeline, run.instanceId)).filter(
    (c) => c.instanceId === run.instanceId && (c.status === 'pending' || c.status === 'running'),
  );
  const endedAt = deps.clock.now().toISOString();
  for (const candidate of open)
    await deps.runs.upsertCandidateRun({
      ...candidate,
      status,
      endedAt,
      durationSeconds: secondsBetween(candidate.startedAt, endedAt),
      error: errorOf(reason.code, reason.message),
    });
  return open.length;
}
