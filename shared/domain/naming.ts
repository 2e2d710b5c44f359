import { createHash } from 'node:crypto';

const hash = (text: string, length: number): string => createHash('sha256').update(text).digest('hex').slice(0, length);

/**
 * The orchestration instance id of a pipeline run: the same pipeline and data version give the
 * same id, so a burst of uploads (or a retried HTTP call) starts one run, not thousands.
 */
export function pipelineInstanceId(pipeline: string, dataVersion: string): string {
  return `${pipeline}--${hash(dataVersion, 16)}`;
}

export function pipelineOfInstance(instanceId: string): string | undefined {
  const match = /^([a-z][a-z0-9-]*[a-z0-9])--[0-9a-f]{16}$/.exec(instanceId);
  return match?.[1];
}

/** A cluster name Azure accepts (≤ 59 chars, starts with a letter) derived from the instance id. */
export function clusterName(instanceId: string): string {
  const pipeline = (pipelineOfInstance(instanceId) ?? 'run').slice(0, 40);
  return `canopy-${pipeline}-${hash(instanceId, 8)}`.slice(0, 59);
}

/** A batch scoring run's cluster name, derived from its instance id, so a retried create finds the first one. */
export function scoringClusterName(instanceId: string): string {
  return `canopy-score-${hash(instanceId, 12)}`;
}

export function deploymentName(model: string, version: number): string {
  return `canopy-${model.slice(0, 40)}-v${version}`;
}
