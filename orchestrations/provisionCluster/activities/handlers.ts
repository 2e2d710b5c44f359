import { HandlersOf } from '../../durable/contract';
import { Composition } from '../../../shared/composition';
import { canopyResourceTags } from '../../../shared/domain/resourceTags';
import { provisionActivities } from '../contracts';

const tagKinds = { training: 'cluster', 'batch-scoring': 'batch-scoring-cluster' } as const;

export function createProvisionActivities({
  compute,
  ledger,
}: Pick<Composition, 'compute' | 'ledger'>): HandlersOf<typeof provisionActivities> {
  return {
    async beginCreateCluster({ owner, cluster, size, expiresAt, now }) {
      // Recorded before the create: even if this process dies right after, the reaper finds it.
      await ledger.record({
        id: cluster.ledgerId,
        kind: 'cluster',
        name: cluster.name,
        target: cluster.target,
        pipeline: owner.pipeline,
        instanceId: owner.instanceId,
        createdAt: now,
        expiresAt,
        owned: cluster.owned,
      });
      if (!cluster.owned) return { ok: true };
      await compute(cluster.target).beginCreateCluster({
        name: cluster.name,
        ...size,
        tags: canopyResourceTags({ pipeline: owner.pipeline, instanceId: owner.instanceId, kind: tagKinds[owner.purpose], expiresAt }),
      });
      return { ok: true };
    },

    async getClusterState({ cluster }) {
      const status = await compute(cluster.target).getCluster(cluster.name);
      return { ok: true, state: status?.state ?? 'deleted', error: status?.error };
    },
  };
}
