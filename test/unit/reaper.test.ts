import { reapResources, ReapDeps } from '../../shared/usecases/reap';
import { ClusterStatus, ComputeTarget } from '../../shared/ports/computeTarget';
import { CanopyError } from '../../shared/errors';
import { DeployedServer, Deployer, DeploymentStatus } from '../../shared/ports/deployer';
import { DeploymentRecord, ModelRegistry } from '../../shared/ports/modelRegistry';
import { TaggedResource } from '../../shared/ports/resourceInventory';
import { LedgerEntry, ResourceLedger } from '../../shared/ports/resourceLedger';

const now = new Date('2026-11-22T12:00:00.000Z');

function ledgerOf(entries: LedgerEntry[]): ResourceLedger & { entries: LedgerEntry[] } {
  return {
    entries,
    record: async (e) => void entries.push(e),
    get: async (id) => entries.find((e) => e.id === id),
    markDeleted: async (id, at) => {
      const entry = entries.find((e) => e.id === id);
      if (entry) entry.deletedAt = at.toISOString();
    },
    keepUntilExpiry: async (id) => {
      const entry = entries.find((e) => e.id === id);
      if (entry) entry.keptUntilExpiry = true;
    },
    listLive: async () => entries.filter((e) => !e.deletedAt),
    listByInstance: async (instanceId) => entries.filter((e) => e.instanceId === instanceId),
  };
}

/** A compute target whose clusters go straight to deleted, as a fast delete would. */
function computeOf(clusters: Map<string, ClusterStatus>): ComputeTarget & { deletes: string[] } {
  const deletes: string[] = [];
  return {
    kind: 'hdinsight',
    deletes,
    beginCreateCluster: async () => undefined,
    getCluster: async (name) => clusters.get(name),
    beginDeleteCluster: async (name) => {
      deletes.push(name);
      clusters.set(name, { state: 'deleted' });
    },
    submitBatch: async () => ({ batchId: '0' }),
    getBatch: async () => undefined,
    killBatch: async () => undefined,
    getBatchPart: async () => undefined,
    outputRef: () => ({ container: 'c', name: 'n' }),
  };
}

function deployerOf(deployments: Map<string, DeploymentStatus>): Deployer & { deletes: string[] } {
  const deletes: string[] = [];
  return {
    kind: 'aci',
    deletes,
    beginDeploy: async () => undefined,
    getDeployment: async (name) => deployments.get(name),
    delete: async (name) => {
      deletes.push(name);
      deployments.set(name, { state: 'deleted' });
    },
  };
}

function registryServing(records: Partial<DeploymentRecord>[]): ModelRegistry {
  return {
    listModels: async () => ['fashion'],
    listDeployments: async () => records as DeploymentRecord[],
  } as unknown as ModelRegistry;
}

const entry = (over: Partial<LedgerEntry>): LedgerEntry => ({
  id: `cluster:hdinsight:${over.name}`,
  kind: 'cluster',
  name: 'c',
  target: 'hdinsight',
  pipeline: 'fashion',
  instanceId: 'fashion--live',
  createdAt: '2026-11-22T10:00:00.000Z',
  expiresAt: '2026-11-22T14:00:00.000Z',
  owned: true,
  ...over,
});

function deps(over: Partial<ReapDeps> & { live?: string[] }): ReapDeps & { logs: string[] } {
  const logs: string[] = [];
  return {
    ledger: ledgerOf([]),
    compute: () => computeOf(new Map()),
    deployer: () => deployerOf(new Map()),
    registry: registryServing([]),
    now,
    isInstanceLive: async (id) => (over.live ?? ['fashion--live']).includes(id),
    log: (m) => logs.push(m),
    logs,
    ...over,
  };
}

describe('the reaper (cost guard)', () => {
  it('deletes expired and orphaned clusters, keeps live ones and kept-for-debugging ones until expiry, never attached ones', async () => {
    const clusters = new Map<string, ClusterStatus>([
      ['expired', { state: 'running' }],
      ['orphan', { state: 'running' }],
      ['live', { state: 'running' }],
      ['attached', { state: 'running' }],
      ['kept', { state: 'running' }],
      ['kept-expired', { state: 'running' }],
    ]);
    const compute = computeOf(clusters);
    const ledger = ledgerOf([
      entry({ name: 'expired', expiresAt: '2026-11-22T11:59:00.000Z' }),
      entry({ name: 'orphan', instanceId: 'fashion--gone' }),
      entry({ name: 'live' }),
      entry({ name: 'attached', instanceId: 'fashion--gone', owned: false }),
      entry({ name: 'kept', instanceId: 'fashion--gone', keptUntilExpiry: true }),
      entry({ name: 'kept-expired', instanceId: 'fashion--gone', keptUntilExpiry: true, expiresAt: '2026-11-22T11:00:00.000Z' }),
    ]);
    const d = deps({ ledger, compute: () => compute });
    const result = await reapResources(d);
    expect(compute.deletes.sort()).toEqual(['expired', 'kept-expired', 'orphan']);
    expect(result.deleted.map((x) => x.reason)).toEqual([
      'expired at 2026-11-22T11:59:00.000Z',
      'run fashion--gone is no longer running',
      'expired at 2026-11-22T11:00:00.000Z',
    ]);
    expect(ledger.entries.filter((e) => e.deletedAt).map((e) => e.name)).toEqual(['expired', 'orphan', 'kept-expired']);
    expect(d.logs.filter((l) => l.startsWith('reaper: deleting cluster'))).toHaveLength(3);
  });

  it('deletes a deployment no model serves once its run is over, and keeps served and rollback ones', async () => {
    const deployments = new Map<string, DeploymentStatus>([
      ['canopy-fashion-v1', { state: 'running' }],
      ['canopy-fashion-v2', { state: 'running' }],
      ['canopy-fashion-v3', { state: 'running' }],
    ]);
    const deployer = deployerOf(deployments);
    const ledger = ledgerOf(
      ['canopy-fashion-v1', 'canopy-fashion-v2', 'canopy-fashion-v3'].map((name) =>
        entry({ id: `deployment:aci:${name}`, kind: 'deployment', name, target: 'aci', instanceId: 'fashion--gone' }),
      ),
    );
    const registry = registryServing([
      { name: 'canopy-fashion-v1', state: 'healthy', trafficPercent: 0 },
      { name: 'canopy-fashion-v2', state: 'healthy', trafficPercent: 100 },
      { name: 'canopy-fashion-v3', state: 'failed', trafficPercent: 0 },
    ]);
    const result = await reapResources(deps({ ledger, registry, deployer: () => deployer }));
    expect(deployer.deletes).toEqual(['canopy-fashion-v3']);
    expect(result.deleted).toEqual([
      {
        id: 'deployment:aci:canopy-fashion-v3',
        reason: 'no model serves deployment canopy-fashion-v3 and run fashion--gone is no longer running',
      },
    ]);
  });

  it('finds by their tags the resources the ledger never recorded, and leaves the ledger alone for them', async () => {
    const clusters = new Map<string, ClusterStatus>([
      ['untracked', { state: 'running' }],
      ['tracked', { state: 'running' }],
    ]);
    const compute = computeOf(clusters);
    const deployer = deployerOf(new Map([['canopy-fashion-v9', { state: 'running' }]]));
    const tagged = (type: string, name: string, tags: Record<string, string>): TaggedResource => ({
      id: `/subscriptions/s/resourceGroups/rg/providers/${type}/${name}`,
      type,
      name,
      tags,
    });
    const inventory = {
      listCanopyResources: async () => [
        tagged('Microsoft.HDInsight/clusters', 'untracked', {
          'canopy-instance': 'fashion--live',
          'canopy-expires-at': '2026-11-22T11:00:00.000Z',
        }),
        tagged('Microsoft.HDInsight/clusters', 'tracked', { 'canopy-instance': 'fashion--gone' }),
        tagged('Microsoft.ContainerInstance/containerGroups', 'canopy-fashion-v9', { 'canopy-instance': 'fashion--gone' }),
        tagged('Microsoft.Storage/storageAccounts', 'stsomething', { 'canopy-instance': 'fashion--gone' }),
      ],
    };
    const ledger = ledgerOf([entry({ name: 'tracked' })]);
    const result = await reapResources(deps({ ledger, inventory, compute: () => compute, deployer: () => deployer }));
    expect(compute.deletes).toEqual(['untracked']);
    expect(deployer.deletes).toEqual(['canopy-fashion-v9']);
    expect(result.deleted.map((d) => d.reason)).toEqual([
      'expired at 2026-11-22T11:00:00.000Z (found by its tags, not in the ledger)',
      'no model serves deployment canopy-fashion-v9 and run fashion--gone is no longer running (found by its tags, not in the ledger)',
    ]);
    expect(result.checked).toBe(3);
    expect(ledger.entries[0].deletedAt).toBeUndefined();
  });

  it('deletes model servers found on a target that no registry entry serves once their run is over, and nothing else', async () => {
    const servers: DeployedServer[] = [
      { name: 'canopy-fashion-v4', tags: { 'canopy-instance': 'fashion--gone' } },
      { name: 'canopy-fashion-v5', tags: { 'canopy-instance': 'fashion--gone' } },
      { name: 'canopy-fashion-v6', tags: { 'canopy-instance': 'fashion--live' } },
      { name: 'canopy-fashion-v7', tags: { 'canopy-instance': 'fashion--gone' } },
      { name: 'canopy-fashion-v8', tags: {} },
    ];
    const local = Object.assign(deployerOf(new Map(servers.map((s) => [s.name, { state: 'running' as const }]))), {
      kind: 'local',
      listDeployments: async () => servers,
    });
    const ledger = ledgerOf([
      entry({
        id: 'deployment:local:canopy-fashion-v7',
        kind: 'deployment',
        name: 'canopy-fashion-v7',
        target: 'local',
        instanceId: 'fashion--gone',
      }),
    ]);
    const registry = registryServing([{ name: 'canopy-fashion-v5', state: 'healthy', trafficPercent: 100 }]);
    const unavailable = () => {
      throw new CanopyError('CONFIG.TARGET_UNAVAILABLE', 'deployment target aks is not available in the local runtime', false);
    };
    const result = await reapResources(
      deps({ ledger, registry, deployer: (kind) => (kind === 'local' ? local : kind === 'aci' ? deployerOf(new Map()) : unavailable()) }),
    );
    expect(local.deletes.sort()).toEqual(['canopy-fashion-v4', 'canopy-fashion-v7', 'canopy-fashion-v8']);
    expect(result.deleted).toContainEqual({
      id: 'deployment:local:canopy-fashion-v4',
      reason:
        'no model serves deployment canopy-fashion-v4 and run fashion--gone is no longer running (found on the target, not in the ledger)',
    });
    expect(result.deleted).toContainEqual({
      id: 'deployment:local:canopy-fashion-v8',
      reason: 'no model serves deployment canopy-fashion-v8 and no run owns it (found on the target, not in the ledger)',
    });
    expect(result.deleted.filter((d) => d.id === 'deployment:local:canopy-fashion-v7')).toHaveLength(1);
    expect(result.failed).toEqual([]);
  });

  it('keeps a server whose run is still bringing it up, and reports a target it cannot list', async () => {
    const local = Object.assign(deployerOf(new Map([['canopy-fashion-v4', { state: 'creating' as const }]])), {
      listDeployments: async () => [{ name: 'canopy-fashion-v4', tags: { 'canopy-instance': 'fashion--live' } }],
    });
    const aks = Object.assign(deployerOf(new Map()), {
      listDeployments: async (): Promise<DeployedServer[]> => {
        throw new Error('the cluster API is unreachable');
      },
    });
    const result = await reapResources(deps({ deployer: (kind) => (kind === 'aks' ? aks : local) }));
    expect(local.deletes).toEqual([]);
    expect(result.failed).toEqual([{ id: 'deployments:aks', error: 'the cluster API is unreachable' }]);
  });

  it('reports a delete that fails and keeps the ledger entry open for the next pass', async () => {
    const compute = computeOf(new Map([['stuck', { state: 'running' }]]));
    compute.beginDeleteCluster = async () => {
      throw new Error('ARM said 409 Conflict');
    };
    const ledger = ledgerOf([entry({ name: 'stuck', instanceId: 'fashion--gone' })]);
    const result = await reapResources(deps({ ledger, compute: () => compute }));
    expect(result.failed).toEqual([{ id: 'cluster:hdinsight:stuck', error: 'ARM said 409 Conflict' }]);
    expect(ledger.entries[0].deletedAt).toBeUndefined();
  });
});
