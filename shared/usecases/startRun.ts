import { permanent } from '../errors';
import { candidateCount } from '../domain/candidateGrid';
import { computeCostPerHour, computeNodes, PriceTable } from '../domain/cost';
import { pipelineInstanceId, pipelineOfInstance } from '../domain/naming';
import { PipelineInput, trainingPipelineName } from '../domain/pipelineRun';
import { PipelineSpec, validatePipelineSpec } from '../domain/pipelineSpec';
import { OrchestrationClient, OrchestrationRuntimeStatus } from '../ports/orchestrationClient';
import { PipelineClaim, RunClaims } from '../ports/runClaims';
import { StoredSpec } from '../ports/specStore';

export interface StartRunDeps {
  orchestrations: OrchestrationClient;
  /** The per-pipeline claims that make one run per pipeline hold when starts race. */
  claims: RunClaims;
  /** A fresh, unguessable token for this start's claim. */
  newToken(): string;
  now(): Date;
  prices: PriceTable;
  /** How often a run polls its long operations. */
  pollSeconds: number;
}

const active: OrchestrationRuntimeStatus[] = ['Running', 'Pending', 'Suspended'];

/** A valid spec, or a permanent `SPEC.INVALID` listing every problem. */
export function requireValidSpec(body: unknown): PipelineSpec {
  const result = validatePipelineSpec(body, candidateCount);
  if (!result.ok)
    throw permanent('SPEC.INVALID', `the pipeline spec has ${result.problems.length} problem(s)`, { problems: result.problems });
  return result.spec;
}

/** The instance of this pipeline that is running now, if any. */
async function runningInstance(orchestrations: OrchestrationClient, pipeline: string): Promise<string | undefined> {
  const statuses = await orchestrations.getStatusBy({ runtimeStatus: active });
  return statuses.find((s) => pipelineOfInstance(s.instanceId) === pipeline)?.instanceId;
}

/** The status of an instance, or undefined when the task hub has none by that id. */
async function existingInstance(orchestrations: OrchestrationClient, instanceId: string): Promise<OrchestrationRuntimeStatus | undefined> {
  try {
    return (await orchestrations.getStatus(instanceId, { showInput: false })).runtimeStatus;
  } catch (err) {
    // The SDK reports an unknown instance as an error naming the extension's 404; anything else is a real failure.
    if (/HTTP 404/.test((err as Error).message)) return undefined;
    throw err;
  }
}

/**
 * How long a claim whose run has not appeared in the task hub yet still holds: the time between a start's claim and
 * its `startNew`. A start that crashed in between stops blocking the pipeline after this.
 */
export const claimStartGraceMs = 60_000;

/**
 * Takes the pipeline's claim for this instance. The current holder keeps it while its run is live, or while it is
 * still starting (no instance yet, claimed within the grace period); a run that ended, or a start that never
 * happened, gives it up. `own` says whether this start won (another start of the same instance id may hold it).
 */
async function claimPipeline(deps: StartRunDeps, pipeline: string, instanceId: string): Promise<PipelineClaim & { own: boolean }> {
  const wanted: PipelineClaim = { instanceId, token: deps.newToken(), claimedAt: deps.now().toISOString() };
  const holder = await deps.claims.claim(pipeline, wanted, async (current) => {
    const status = await existingInstance(deps.orchestrations, current.instanceId);
    if (status) return !active.includes(status);
    return deps.now().getTime() - Date.parse(current.claimedAt) > claimStartGraceMs;
  });
  return { ...holder, own: holder.token === wanted.token };
}

export type StartResult =
  | { started: true; instanceId: string }
  | { started: false; reason: 'running'; runningInstanceId: string }
  | { started: false; reason: 'already-ran'; instanceId: string; runtimeStatus: OrchestrationRuntimeStatus };

/**
 * Starts a run of a stored spec for one data version. The instance id derives from the pipeline
 * and the data version, and one run per pipeline runs at a time. A data version that already ran
 * starts nothing: starting its instance id again would replace that run's history (a blob trigger
 * may deliver a marker twice, and a caller may retry with the same `dataVersion`).
 */
export async function startPipelineRun(deps: StartRunDeps, stored: StoredSpec, dataVersion: string, trigger: string): Promise<StartResult> {
  const { orchestrations } = deps;
  const running = await runningInstance(orchestrations, stored.name);
  if (running) return { started: false, reason: 'running', runningInstanceId: running };
  const instanceId = pipelineInstanceId(stored.name, dataVersion);
  const ran = await existingInstance(orchestrations, instanceId);
  if (ran) return { started: false, reason: 'already-ran', instanceId, runtimeStatus: ran };
  const claim = await claimPipeline(deps, stored.name, instanceId);
  if (claim.instanceId !== instanceId) return { started: false, reason: 'running', runningInstanceId: claim.instanceId };
  if (!claim.own) return { started: false, reason: 'running', runningInstanceId: instanceId };
  const input: PipelineInput = {
    pipeline: stored.name,
    specVersion: stored.version,
    spec: stored.spec,
    dataVersion,
    trigger,
    pollSeconds: deps.pollSeconds,
    computeCostPerHour: computeCostPerHour(stored.spec, deps.prices),
    computeNodes: computeNodes(stored.spec),
  };
  try {
    await orchestrations.startNew(trainingPipelineName, { instanceId, input });
  } catch (err) {
    // Two starts raced with the same data version: the other one won.
    const again = await runningInstance(orchestrations, stored.name);
    if (again) return { started: false, reason: 'running', runningInstanceId: again };
    throw err;
  }
  return { started: true, instanceId };
}
