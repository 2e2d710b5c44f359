import { DurableClient, OrchestrationRuntimeStatus } from 'durable-functions';
import { Composition } from '../../shared/composition';
import { candidateGrid } from '../../shared/domain/candidateGrid';
import { pipelineInstanceId, pipelineOfInstance } from '../../shared/domain/naming';
import { PipelineSpec, validatePipelineSpec } from '../../shared/domain/pipelineSpec';
import { StoredSpec } from '../../shared/ports/specStore';
import { PipelineInput, trainingPipelineName } from '../../orchestrations/trainingPipeline/contracts';
import { computeCostPerHour, computeNodes } from '../../orchestrations/trainingPipeline/pipeline.activities';
import { ApiError } from './http';

const active = [OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Suspended];

/** Validates a spec, with every problem listed in a 400. */
export function requireValidSpec(body: unknown): PipelineSpec {
  const result = validatePipelineSpec(body, (s) => candidateGrid(s).length);
  if (!result.ok)
    throw new ApiError(400, 'SPEC.INVALID', `the pipeline spec has ${result.problems.length} problem(s)`, { problems: result.problems });
  return result.spec;
}

/** The instance of this pipeline that is running now, if any. */
export async function runningInstance(client: DurableClient, pipeline: string): Promise<string | undefined> {
  const statuses = await client.getStatusBy({ runtimeStatus: active });
  return statuses.find((s) => pipelineOfInstance(s.instanceId) === pipeline)?.instanceId;
}

/** The status of an instance, or undefined when the task hub has none by that id. */
async function existingInstance(client: DurableClient, instanceId: string): Promise<OrchestrationRuntimeStatus | undefined> {
  try {
    return (await client.getStatus(instanceId, { showInput: false })).runtimeStatus;
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
export async function startPipelineRun(
  client: DurableClient,
  comp: Composition,
  stored: StoredSpec,
  dataVersion: string,
  trigger: string,
): Promise<StartResult> {
  const running = await runningInstance(client, stored.name);
  if (running) return { started: false, reason: 'running', runningInstanceId: running };
  const instanceId = pipelineInstanceId(stored.name, dataVersion);
  const ran = await existingInstance(client, instanceId);
  if (ran) return { started: false, reason: 'already-ran', instanceId, runtimeStatus: ran };
  const input: PipelineInput = {
    pipeline: stored.name,
    specVersion: stored.version,
    spec: stored.spec,
    dataVersion,
    trigger,
    pollSeconds: comp.config.pollSeconds,
    computeCostPerHour: computeCostPerHour(stored.spec, comp.prices),
    computeNodes: computeNodes(stored.spec),
  };
  try {
    await client.startNew(trainingPipelineName, { instanceId, input });
  } catch (err) {
    // Two starts raced with the same data version: the other one won.
    const again = await runningInstance(client, stored.name);
    if (again) return { started: false, reason: 'running', runningInstanceId: again };
    throw err;
  }
  return { started: true, instanceId };
}
