import { permanent } from '../errors';
import { candidateGrid } from '../domain/candidateGrid';
import { computeCostPerHour, computeNodes, PriceTable } from '../domain/cost';
import { pipelineInstanceId, pipelineOfInstance } from '../domain/naming';
import { PipelineInput, trainingPipelineName } from '../domain/pipelineRun';
import { PipelineSpec, validatePipelineSpec } from '../domain/pipelineSpec';
import { OrchestrationClient, OrchestrationRuntimeStatus } from '../ports/orchestrationClient';
import { StoredSpec } from '../ports/specStore';

export interface StartRunDeps {
  orchestrations: OrchestrationClient;
  prices: PriceTable;
  /** How often a run polls its long operations. */
  pollSeconds: number;
}

const active: OrchestrationRuntimeStatus[] = ['Running', 'Pending', 'Suspended'];

/** A valid spec, or a permanent `SPEC.INVALID` listing every problem. */
export function requireValidSpec(body: unknown): PipelineSpec {
  const result = validatePipelineSpec(body, (s) => candidateGrid(s).length);
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
