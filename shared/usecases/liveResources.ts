import { LedgerEntry, ResourceLedger } from '../ports/resourceLedger';
import { RunStore } from '../ports/runStore';

export interface LiveResource {
  id: string;
  kind: LedgerEntry['kind'];
  name: string;
  target: string;
  pipeline: string;
  instanceId: string;
  createdAt: string;
  ageSeconds: number;
  expiresAt: string;
  /** Negative once past its expiry: the reaper deletes it on its next pass. */
  expiresInSeconds: number;
  /** A cluster's cost so far is its run's (the run pays for exactly its cluster); null for what the run record does not price. */
  costUsdSoFar: number | null;
}

const seconds = (ms: number) => Math.round(ms / 1000);

/** Every resource alive now, newest first, with its age, the time left to its expiry and what it has cost. */
export async function liveResources(deps: { ledger: ResourceLedger; runs: RunStore; now: Date }): Promise<LiveResource[]> {
  const entries = await deps.ledger.listLive();
  const runCost = new Map<string, number | undefined>();
  await Promise.all(
    [...new Set(entries.filter((e) => e.kind === 'cluster').map((e) => `${e.pipeline}\n${e.instanceId}`))].map(async (key) => {
      const [pipeline, instanceId] = key.split('\n');
      runCost.set(instanceId, (await deps.runs.getPipelineRun(pipeline, instanceId))?.costUsd);
    }),
  );
  const now = deps.now.getTime();
  return entries
    .map((e) => ({
      id: e.id,
      kind: e.kind,
      name: e.name,
      target: e.target,
      pipeline: e.pipeline,
      instanceId: e.instanceId,
      createdAt: e.createdAt,
      ageSeconds: seconds(now - Date.parse(e.createdAt)),
      expiresAt: e.expiresAt,
      expiresInSeconds: seconds(Date.parse(e.expiresAt) - now),
      costUsdSoFar: e.kind === 'cluster' ? (runCost.get(e.instanceId) ?? null) : null,
    }))
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}
