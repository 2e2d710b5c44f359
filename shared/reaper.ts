import { ComputeTarget } from './ports/computeTarget';
import { ComputeTargetKind } from './domain/pipelineSpec';
import { LedgerEntry, ResourceLedger } from './ports/resourceLedger';

export interface ReapDeps {
  ledger: ResourceLedger;
  compute(kind: ComputeTargetKind): ComputeTarget;
  now: Date;
  /** Whether the orchestration that created a resource is still running (and so still owns it). */
  isInstanceLive(instanceId: string): Promise<boolean>;
  log(message: string): void;
}

export interface ReapResult {
  checked: number;
  deleted: { id: string; reason: string }[];
  deleting: string[];
  failed: { id: string; error: string }[];
}

/**
 * Deletes every owned resource in the ledger that is past its expiry, or whose run is no longer
 * live (it was terminated, crashed or ended without tearing down). Deletion is begun and
 * confirmed on a later pass, so the reaper never blocks on a slow delete.
 */
export async function reapResources(deps: ReapDeps): Promise<ReapResult> {
  const result: ReapResult = { checked: 0, deleted: [], deleting: [], failed: [] };
  const live = await deps.ledger.listLive();
  for (const entry of live) {
    result.checked++;
    if (!entry.owned || entry.kind !== 'cluster') continue;
    const reason = await reasonToReap(entry, deps);
    if (!reason) continue;
    try {
      const compute = deps.compute(entry.target as ComputeTargetKind);
      const state = await compute.getCluster(entry.name);
      if (!state || state.state === 'deleted') {
        await deps.ledger.markDeleted(entry.id, deps.now);
        result.deleted.push({ id: entry.id, reason });
        deps.log(`reaper: ${entry.name} (${entry.target}, run ${entry.instanceId}) is gone; ledger entry closed (${reason})`);
        continue;
      }
      if (state.state !== 'deleting') {
        await compute.beginDeleteCluster(entry.name);
        deps.log(`reaper: deleting ${entry.name} (${entry.target}, run ${entry.instanceId}): ${reason}`);
      }
      const after = await compute.getCluster(entry.name);
      if (!after || after.state === 'deleted') {
        await deps.ledger.markDeleted(entry.id, deps.now);
        result.deleted.push({ id: entry.id, reason });
      } else {
        result.deleting.push(entry.id);
      }
    } catch (err) {
      result.failed.push({ id: entry.id, error: (err as Error).message });
      deps.log(`reaper: could not delete ${entry.name}: ${(err as Error).message}`);
    }
  }
  return result;
}

async function reasonToReap(entry: LedgerEntry, deps: ReapDeps): Promise<string | undefined> {
  if (new Date(entry.expiresAt).getTime() <= deps.now.getTime()) return `expired at ${entry.expiresAt}`;
  if (!(await deps.isInstanceLive(entry.instanceId))) return `run ${entry.instanceId} is no longer running`;
  return undefined;
}
