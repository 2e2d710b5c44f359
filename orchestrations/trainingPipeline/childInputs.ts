import { Candidate } from '../../shared/domain/candidateGrid';
import { clusterName } from '../../shared/domain/naming';
import { batchTimeLimitMinutes } from '../../shared/domain/trainingBatches';
import { DeployInput, RegisteredModel } from '../deployModel/contracts';
import { ClusterHandle, clusterHandle, ProvisionInput } from '../provisionCluster/contracts';
import { TeardownInput } from '../teardownCluster/contracts';
import { TrainInput } from '../trainCandidates/contracts';
import { PipelineInput, PipelineSummary, RunRef } from './contracts';

/** How long teardown waits for a delete before leaving the cluster to the reaper. */
const teardownTimeoutMinutes = 30;

/** The run's own cluster (named after the instance, so a re-run finds it), or the attached one. */
export function trainingCluster(input: PipelineInput, run: RunRef): ClusterHandle {
  const { target, existingCluster } = input.spec.compute;
  return clusterHandle(target, existingCluster ?? clusterName(run.instanceId), !existingCluster);
}

export function provisionInput(input: PipelineInput, run: RunRef, cluster: ClusterHandle): ProvisionInput {
  const { maxLifetimeMinutes, provisionTimeoutMinutes, headVmSize, workerVmSize, workerNodes } = input.spec.compute;
  return {
    owner: { pipeline: run.pipeline, instanceId: run.instanceId, purpose: 'training' },
    cluster,
    size: { headVmSize, workerVmSize, workerNodes },
    maxLifetimeMinutes,
    timeoutMinutes: provisionTimeoutMinutes,
    pollSeconds: input.pollSeconds,
  };
}

export function trainInput(input: PipelineInput, run: RunRef, cluster: ClusterHandle, candidates: Candidate[]): TrainInput {
  const { spec } = input;
  return {
    run,
    cluster,
    candidates,
    etlFirst: spec.scenario === 'tabular-classification',
    maxConcurrent: spec.candidates.maxConcurrent,
    candidateTimeoutMinutes: spec.compute.candidateTimeoutMinutes,
    batchTimeLimitMinutes,
    pollSeconds: input.pollSeconds,
    computeCostPerHour: input.computeCostPerHour,
  };
}

export function deployInput(input: PipelineInput, run: RunRef, model: RegisteredModel): DeployInput {
  const { healthTimeoutMinutes, target } = input.spec.deployment;
  return { run, model, target, healthTimeoutMinutes, pollSeconds: input.pollSeconds };
}

/** `keep-on-failure` keeps a failed run's cluster until its expiry, for debugging. */
export function teardownInput(
  input: PipelineInput,
  cluster: ClusterHandle,
  batchIds: string[],
  status: PipelineSummary['pipelineStatus'],
): TeardownInput {
  const keep = input.spec.teardown.policy === 'keep-on-failure' && status === 'failed';
  return { cluster, batchIds, keep, pollSeconds: input.pollSeconds, timeoutMinutes: teardownTimeoutMinutes };
}
