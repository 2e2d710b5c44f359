export type ResourceKind = 'cluster' | 'deployment' | 'staging';

export interface LedgerEntry {
  id: string;
  kind: ResourceKind;
  name: string;
  target: string;
  pipeline: string;
  instanceId: string;
  createdAt: string;
  expiresAt: string;
  /** Attached resources (an existing cluster) are recorded but never deleted. */
  owned: boolean;
  /** A failed run's cluster kept for debugging (`teardown.policy: keep-on-failure`): reaped at its expiry, not when its run ends. */
  keptUntilExpiry?: boolean;
  deletedAt?: string;
}

/** Every resource Canopy creates, with an expiry, written before the resource is created. */
export interface ResourceLedger {
  /** Idempotent while the resource lives (the first expiry stands); after `markDeleted`, records it anew. */
  record(entry: LedgerEntry): Promise<void>;
  get(id: string): Promise<LedgerEntry | undefined>;
  markDeleted(id: string, at: Date): Promise<void>;
  keepUntilExpiry(id: string): Promise<void>;
  listLive(): Promise<LedgerEntry[]>;
  listByInstance(instanceId: string): Promise<LedgerEntry[]>;
}
