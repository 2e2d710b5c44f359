import { HandlersOf } from '../../durable/contract';
import { Composition } from '../../../shared/composition';
import { teardownActivities } from '../contracts';

export function createTeardownActivities({
  compute,
  ledger,
  clock,
}: Pick<Composition, 'compute' | 'ledger' | 'clock'>): HandlersOf<typeof teardownActivities> {
  return {
    async beginDeleteCluster({ cluster, batchIds }) {
      const target = compute(cluster.target);
      for (const batchId of batchIds) await target.killBatch(cluster.name, batchId);
      await target.beginDeleteCluster(cluster.name);
      return { ok: true };
    },

    async markTornDown({ cluster }) {
      await ledger.markDeleted(cluster.ledgerId, clock.now());
      return { ok: true };
    },

    async keepUntilExpiry({ cluster }) {
      await ledger.keepUntilExpiry(cluster.ledgerId);
      return { ok: true };
    },
  };
}
