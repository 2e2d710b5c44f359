import { activity, subOrchestration } from '../durable/contract';
import { ClusterHandle } from '../provisionCluster/contracts';

export interface TeardownInput {
  cluster: ClusterHandle;
  /** Batches to kill first (a local cluster's batches are processes of their own). */
  batchIds: string[];
  /** Keep the cluster until its ledger expiry (`keep-on-failure` after a failed run) instead of deleting it. */
  keep: boolean;
  pollSeconds: number;
  timeoutMinutes: number;
}

export const teardownClusterOrchestration = subOrchestration<TeardownInput, { tornDown: boolean }>('teardownCluster');

export const teardownActivities = {
  beginDeleteCluster: activity<{ cluster: ClusterHandle; batchIds: string[] }, object>('cluster_beginDelete'),
  markTornDown: activity<{ cluster: ClusterHandle }, object>('cluster_markTornDown'),
  keepUntilExpiry: activity<{ cluster: ClusterHandle }, object>('cluster_keepUntilExpiry'),
};
