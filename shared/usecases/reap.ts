import { ComputeTargetKind, DeploymentTargetKind } from '../domain/pipelineSpec';
import { toCanopyError } from '../errors';
import { canopyTags } from '../domain/resourceTags';
import { ComputeTarget } from '../ports/computeTarget';
import { Deployer } from '../ports/deployer';
import { ModelRegistry } from '../ports/modelRegistry';
import { ResourceInventory, TaggedResource } from '../ports/resourceInventory';
import { LedgerEntry, ResourceLedger } from '../ports/resourceLedger';
import { RunClaims } from '../ports/runClaims';
import { RunStatus, RunStore } from '../ports/runStore';

export interface ReapDeps {
  ledger: ResourceLedger;
  compute(kind: ComputeTargetKind): ComputeTarget;
  deployer(kind: DeploymentTargetKind): Deployer;
  registry: ModelRegistry;
  /** The compute resource group's Canopy-tagged resources; absent where there is none (the local runtime). */
  inventory?: ResourceInventory;
  now: Date;
  /** Whether the orchestration that created a resource is still running (and so still owns it). */
  isInstanceLive(instanceId: string): Promise<boolean>;
  log(message: string): void;
  /** Run records to settle: runs recorded as running whose orchestration ended without recording it. */
  runRecords?: RunRecordsToSettle;
}

export interface RunRecordsToSettle {
  open: Pick<RunClaims, 'listRunningRuns'>;
  store: RunStore;
  /** The orchestration's runtime status; undefined when the task hub has no such instance (never started, or purged). */
  runtimeStatus(instanceId: string): Promise<string | undefined>;
  /** Ends the run's live child orchestrations, which a terminate of the parent leaves running. */
  terminateChildren(instanceId: string, reason: string): Promise<void>;
}

export interface ReapResult {
  checked: number;
  /** Runs recorded as ended here, with the status recorded. */
  settled: { instanceId: string; status: RunStatus }[];
  deleted: { id: string; reason: string }[];
  deleting: string[];
  failed: { id: string; error: string }[];
}

/** Where a tagged resource type is deleted: the same adapters the pipeline created it with. */
const taggedTypes: Record<string, { kind: 'cluster'; target: ComputeTargetKind } | { kind: 'deployment'; target: DeploymentTargetKind }> = {
  'microsoft.hdinsight/clusters': { kind: 'cluster', target: 'hdinsight' },
  'microsoft.containerinstance/containergroups': { kind: 'deployment', target: 'aci' },
};

/**
 * The cost guard. Deletes every owned resource in the ledger that is past its expiry or whose run is no longer live
 * (terminated, crashed, or ended without tearing down), and every deployment no model serves any more; then does the
 * same for what the compute resource group actually holds with Canopy's tags, which catches resources the ledger
 * never heard of. Deletion is begun and confirmed on a later pass, so the reaper never blocks on a slow delete.
 */
export async function reapResources(deps: ReapDeps): Promise<ReapResult> {
  const result: ReapResult = { checked: 0, settled: [], deleted: [], deleting: [], failed: [] };
  if (deps.runRecords) await settleEndedRuns(deps.runRecords, deps, result);
  const served = await servedDeployments(deps.registry);
  const seen = new Set<string>();
  for (const entry of await deps.ledger.listLive()) {
    result.checked++;
    seen.add(entry.name);
    if (!entry.owned) continue;
    const reason = await reasonToReap(entry, served, deps);
    if (!reason) continue;
    await reapOne(deps, result, { id: entry.id, ledgerId: entry.id, name: entry.name, kind: entry.kind, target: entry.target }, reason);
  }
  for (const resource of deps.inventory ? await deps.inventory.listCanopyResources() : []) {
    const handled = taggedTypes[resource.type.toLowerCase()];
    if (!handled || seen.has(resource.name)) continue;
    result.checked++;
    const reason = await reasonToReapTagged(resource, handled.kind, served, deps);
    if (!reason) continue;
    seen.add(resource.name);
    await reapOne(deps, result, { id: resource.id, name: resource.name, ...handled }, `${reason} (found by its tags, not in the ledger)`);
  }
  await reapUnrecordedServers(deps, result, served, seen);
  return result;
}

const deploymentTargets: DeploymentTargetKind[] = ['local', 'aci', 'aks'];

/**
 * Model servers the targets themselves run but neither the ledger nor the inventory knows (a begin that ran twice
 * across a crash, a lost ledger write): each is deleted once no registry entry serves it and its run is over.
 */
async function reapUnrecordedServers(deps: ReapDeps, result: ReapResult, served: Set<string>, seen: Set<string>): Promise<void> {
  for (const target of deploymentTargets) {
    try {
      let deployer: Deployer;
      try {
        deployer = deps.deployer(target);
      } catch (err) {
        if (toCanopyError(err).code === 'CONFIG.TARGET_UNAVAILABLE') continue;
        throw err;
      }
      for (const server of deployer.listDeployments ? await deployer.listDeployments() : []) {
        if (seen.has(server.name)) continue;
        seen.add(server.name);
        result.checked++;
        const reason = await orphanedDeployment(server.name, server.tags[canopyTags.instance], served, deps);
        if (!reason) continue;
        const id = `deployment:${target}:${server.name}`;
        await reapOne(
          deps,
          result,
          { id, name: server.name, kind: 'deployment', target },
          `${reason} (found on the target, not in the ledger)`,
        );
      }
    } catch (err) {
      result.failed.push({ id: `deployments:${target}`, error: (err as Error).message });
      deps.log(`reaper: could not list ${target} deployments: ${(err as Error).message}`);
    }
  }
}

interface Reapable {
  id: string;
  ledgerId?: string;
  name: string;
  kind: LedgerEntry['kind'];
  target: string;
}

async function reapOne(deps: ReapDeps, result: ReapResult, item: Reapable, reason: string): Promise<void> {
  const done = async () => {
    if (item.ledgerId) await deps.ledger.markDeleted(item.ledgerId, deps.now);
    result.deleted.push({ id: item.id, reason });
  };
  try {
    if (item.kind === 'deployment') {
      const deployer = deps.deployer(item.target as DeploymentTargetKind);
      const status = await deployer.getDeployment(item.name);
      if (status && status.state !== 'deleted') {
        await deployer.delete(item.name);
        deps.log(`reaper: deleted deployment ${item.name} (${item.target}): ${reason}`);
      }
      return await done();
    }
    if (item.kind !== 'cluster') return;
    const compute = deps.compute(item.target as ComputeTargetKind);
    const state = await compute.getCluster(item.name);
    if (!state || state.state === 'deleted') {
      deps.log(`reaper: ${item.name} (${item.target}) is gone; ledger entry closed (${reason})`);
      return await done();
    }
    if (state.state !== 'deleting') {
      await compute.beginDeleteCluster(item.name);
      deps.log(`reaper: deleting cluster ${item.name} (${item.target}): ${reason}`);
    }
    const after = await compute.getCluster(item.name);
    if (!after || after.state === 'deleted') await done();
    else result.deleting.push(item.id);
  } catch (err) {
    result.failed.push({ id: item.id, error: (err as Error).message });
    deps.log(`reaper: could not delete ${item.name}: ${(err as Error).message}`);
  }
}

/** Names of the deployments some model still serves (with traffic, or kept for a rollback). */
async function servedDeployments(registry: ModelRegistry): Promise<Set<string>> {
  const names = new Set<string>();
  for (const model of await registry.listModels())
    for (const d of await registry.listDeployments(model)) if (d.state === 'healthy') names.add(d.name);
  return names;
}

async function reasonToReap(entry: LedgerEntry, served: Set<string>, deps: ReapDeps): Promise<string | undefined> {
  if (entry.kind === 'deployment') return orphanedDeployment(entry.name, entry.instanceId, served, deps);
  if (new Date(entry.expiresAt).getTime() <= deps.now.getTime()) return `expired at ${entry.expiresAt}`;
  if (entry.keptUntilExpiry) return undefined;
  if (!(await deps.isInstanceLive(entry.instanceId))) return `run ${entry.instanceId} is no longer running`;
  return undefined;
}

async function reasonToReapTagged(
  resource: TaggedResource,
  kind: LedgerEntry['kind'],
  served: Set<string>,
  deps: ReapDeps,
): Promise<string | undefined> {
  const instanceId = resource.tags[canopyTags.instance];
  if (kind === 'deployment') return orphanedDeployment(resource.name, instanceId, served, deps);
  const expiresAt = resource.tags[canopyTags.expiresAt];
  if (expiresAt && new Date(expiresAt).getTime() <= deps.now.getTime()) return `expired at ${expiresAt}`;
  if (!(await deps.isInstanceLive(instanceId))) return `run ${instanceId} is no longer running`;
  return undefined;
}

/** Deployments outlive their run (they serve traffic); one is orphaned once no model serves it and no run is bringing it up. */
async function orphanedDeployment(
  name: string,
  instanceId: string | undefined,
  served: Set<string>,
  deps: ReapDeps,
): Promise<string | undefined> {
  if (served.has(name)) return undefined;
  if (instanceId && (await deps.isInstanceLive(instanceId))) return undefined;
  return `no model serves deployment ${name} and ${instanceId ? `run ${instanceId} is no longer running` : 'no run owns it'}`;
}

/** How an orchestration that no longer runs ended, for a run record still saying `running`; undefined while it is live. */
function endedStatus(runtimeStatus: string | undefined): RunStatus | undefined {
  if (runtimeStatus === undefined || runtimeStatus === 'Terminated') return 'terminated';
  if (runtimeStatus === 'Failed') return 'failed';
  return undefined;
}

/**
 * A terminated (or crashed) orchestration runs no `finally`: its run and candidate records would say `running`
 * for ever. They are recorded as ended here, its children are ended too, and the same pass then deletes its
 * cluster, since its run is no longer live.
 */
async function settleEndedRuns(records: RunRecordsToSettle, deps: ReapDeps, result: ReapResult): Promise<void> {
  for (const run of await records.open.listRunningRuns()) {
    try {
      const status = endedStatus(await records.runtimeStatus(run.instanceId));
      if (!status) continue;
      const endedAt = deps.now.toISOString();
      const error = {
        code: status === 'terminated' ? 'RUN.TERMINATED' : 'RUN.FAILED',
        message: `the orchestration ${status === 'terminated' ? 'was terminated' : 'failed'} before recording its end`,
      };
      await records.terminateChildren(run.instanceId, error.message);
      for (const candidate of await records.store.listCandidateRuns(run.pipeline, run.instanceId))
        if (candidate.status === 'pending' || candidate.status === 'running')
          await records.store.upsertCandidateRun({ ...candidate, status, endedAt, error: candidate.error ?? error });
      await records.store.upsertPipelineRun({ ...run, status, endedAt, error: run.error ?? error });
      result.settled.push({ instanceId: run.instanceId, status });
      deps.log(`reaper: run ${run.instanceId} recorded ${status}: ${error.message}`);
    } catch (err) {
      result.failed.push({ id: run.instanceId, error: (err as Error).message });
      deps.log(`reaper: could not settle run ${run.instanceId}: ${(err as Error).message}`);
    }
  }
}
