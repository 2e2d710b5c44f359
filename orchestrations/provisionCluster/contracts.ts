import { ComputeTargetKind } from '../../shared/domain/pipelineSpec';
import { activity, subOrchestration } from '../durable/contract';

/** Whose cluster it is: resources are tagged and ledgered with it, so the reaper can tell a live owner. */
export interface ClusterOwner {
  /** The pipeline, or `batch-scoring:<model>`. */
  pipeline: string;
  instanceId: string;
  purpose: 'training' | 'batch-scoring';
}

/** The cluster a run works on: its name and ledger id are fixed before anything is created, so teardown always knows them. */
export interface ClusterHandle {
  target: ComputeTargetKind;
  name: string;
  ledgerId: string;
  /** False for an attached cluster: Canopy neither creates nor deletes it. */
  owned: boolean;
}

export interface ClusterSize {
  headVmSize: string;
  workerVmSize: string;
  workerNodes: number;
}

export interface ProvisionInput {
  owner: ClusterOwner;
  cluster: ClusterHandle;
  size: ClusterSize;
  maxLifetimeMinutes: number;
  timeoutMinutes: number;
  pollSeconds: number;
}

export const provisionClusterOrchestration = subOrchestration<ProvisionInput, object>('provisionCluster');

export function clusterHandle(target: ComputeTargetKind, name: string, owned: boolean): ClusterHandle {
  return { target, name, ledgerId: `cluster:${target}:${name}`, owned };
}

export const provisionActivities = {
  beginCreateCluster: activity<{ owner: ClusterOwner; cluster: ClusterHandle; size: ClusterSize; expiresAt: string; now: string }, object>(
    'cluster_beginCreate',
  ),
  getClusterState: activity<{ cluster: ClusterHandle }, { state: string; error?: string }>('cluster_getState'),
};
