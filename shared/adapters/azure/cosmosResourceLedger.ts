import { Container } from '@azure/cosmos';
import { LedgerEntry, ResourceLedger } from '../../ports/resourceLedger';
import { isCosmosStatus, withoutSystemFields } from './cosmosSchema';
import { cosmosCall, cosmosError } from './cosmosErrors';

/** The resource ledger in the `ledger` container, one document per resource. */
export class CosmosResourceLedger implements ResourceLedger {
  constructor(private readonly ledger: Container) {}

  async record(entry: LedgerEntry): Promise<void> {
    const existing = await this.get(entry.id);
    // A retried activity must not push the expiry of a resource that already exists; one re-created under a name
    // whose resource was deleted (a redeployed model version) is live again.
    if (existing && !existing.deletedAt) return;
    await cosmosCall(() => this.ledger.items.upsert(entry));
  }

  async get(id: string): Promise<LedgerEntry | undefined> {
    try {
      const { resource } = await this.ledger.item(id, id).read<LedgerEntry>();
      return resource ? withoutSystemFields<LedgerEntry>(resource) : undefined;
    } catch (err) {
      if (isCosmosStatus(err, 404)) return undefined;
      throw cosmosError(err);
    }
  }

  async markDeleted(id: string, at: Date): Promise<void> {
    const entry = await this.get(id);
    if (!entry || entry.deletedAt) return;
    await cosmosCall(() => this.ledger.items.upsert({ ...entry, deletedAt: at.toISOString() }));
  }

  async keepUntilExpiry(id: string): Promise<void> {
    const entry = await this.get(id);
    if (!entry || entry.deletedAt || entry.keptUntilExpiry) return;
    await cosmosCall(() => this.ledger.items.upsert({ ...entry, keptUntilExpiry: true }));
  }

  async listLive(): Promise<LedgerEntry[]> {
    const { resources } = await cosmosCall(() =>
      this.ledger.items.query<LedgerEntry>('SELECT * FROM c WHERE NOT IS_DEFINED(c.deletedAt)').fetchAll(),
    );
    return resources.map((r) => withoutSystemFields<LedgerEntry>(r));
  }

  async listByInstance(instanceId: string): Promise<LedgerEntry[]> {
    const { resources } = await cosmosCall(() =>
      this.ledger.items
        .query<LedgerEntry>({ query: 'SELECT * FROM c WHERE c.instanceId = @i', parameters: [{ name: '@i', value: instanceId }] })
        .fetchAll(),
    );
    return resources.map((r) => withoutSystemFields<LedgerEntry>(r));
  }
}
