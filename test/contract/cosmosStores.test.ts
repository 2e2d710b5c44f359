import { randomUUID } from 'node:crypto';
import { CosmosModelRegistry } from '../../shared/adapters/azure/cosmosModelRegistry';
import { CosmosResourceLedger } from '../../shared/adapters/azure/cosmosResourceLedger';
import { CosmosRunStore } from '../../shared/adapters/azure/cosmosRunStore';
import { CosmosSpecStore } from '../../shared/adapters/azure/cosmosSpecStore';
import { CanopyContainers, openCanopyContainers } from '../../shared/adapters/azure/cosmosSchema';
import { validatePipelineSpec, PipelineSpec } from '../../shared/domain/pipelineSpec';
import { candidateGrid } from '../../shared/domain/candidateGrid';
import { testCosmosClient } from '../support/testStack';

// Contract suites for the Cosmos-backed ports. The same adapters talk to Azure Cosmos DB; here
// they run against the emulator, the only Cosmos reachable on this machine.
const client = testCosmosClient();
let containers: CanopyContainers;

beforeAll(async () => {
  containers = await openCanopyContainers(client, `contract-${randomUUID().slice(0, 8)}`);
});

describe('opening the containers', () => {
  it('lets several processes open a new database at once (a create race ends in 409 for all but one)', async () => {
    const database = `race-${randomUUID().slice(0, 8)}`;
    const opened = await Promise.all(Array.from({ length: 6 }, () => openCanopyContainers(client, database)));
    for (const set of opened) expect(Object.keys(set).sort()).toEqual(['ledger', 'models', 'runs', 'specs']);
    await opened[0].specs.items.upsert({ id: 'x', name: 'x' });
    expect((await opened[5].specs.item('x', 'x').read()).resource?.id).toBe('x');
  });
});

function spec(name: string, overrides: Record<string, unknown> = {}): PipelineSpec {
  const result = validatePipelineSpec(
    {
      name,
      scenario: 'image-classification',
      data: { source: { container: 'landing', prefix: 'x/' } },
      candidates: { classifiers: [{ type: 'logistic_regression' }] },
      ...overrides,
    },
    (s) => candidateGrid(s).length,
  );
  if (!result.ok) throw new Error(result.problems.join('; '));
  return result.spec;
}

describe('SpecStore (Cosmos)', () => {
  it('versions changed specs and keeps an unchanged save on its version', async () => {
    const store = new CosmosSpecStore(containers.specs);
    const now = new Date('2026-11-22T00:00:00Z');
    const v1 = await store.save(spec('alpha'), now);
    expect(v1.version).toBe(1);
    expect((await store.save(spec('alpha'), now)).version).toBe(1);
    const v2 = await store.save(spec('alpha', { sampleFraction: 0.5 }), now);
    expect(v2.version).toBe(2);
    expect((await store.get('alpha'))?.spec.sampleFraction).toBe(0.5);
    expect((await store.get('alpha', 1))?.spec.sampleFraction).toBe(1);
    expect(await store.get('alpha', 9)).toBeUndefined();
    expect(await store.get('nobody')).toBeUndefined();
    await store.save(spec('beta'), now);
    expect((await store.list()).map((s) => [s.name, s.version])).toEqual([
      ['alpha', 2],
      ['beta', 1],
    ]);
  });
});

describe('RunStore (Cosmos)', () => {
  it('keeps pipeline and candidate runs per pipeline, newest first, with paging', async () => {
    const store = new CosmosRunStore(containers.runs);
    for (let i = 1; i <= 3; i++) {
      await store.upsertPipelineRun({
        pipeline: 'gamma',
        instanceId: `gamma--${i}`,
        specVersion: 1,
        dataVersion: `d${i}`,
        trigger: 'http',
        status: 'running',
        stage: 'train',
        startedAt: `2026-11-2${i}T00:00:00.000Z`,
        stageSeconds: {},
        candidates: { total: 2, succeeded: 0, failed: 0 },
        costUsd: 0,
      });
    }
    const first = await store.listPipelineRuns('gamma', { top: 2 });
    expect(first.items.map((r) => r.instanceId)).toEqual(['gamma--3', 'gamma--2']);
    expect(first.next).toBeDefined();
    const second = await store.listPipelineRuns('gamma', { top: 2, continuation: first.next });
    expect(second.items.map((r) => r.instanceId)).toEqual(['gamma--1']);
    const run = await store.getPipelineRun('gamma', 'gamma--2');
    expect(run).toMatchObject({ dataVersion: 'd2', status: 'running' });
    expect(run).not.toHaveProperty('_etag');
    expect(await store.getPipelineRun('gamma', 'nope')).toBeUndefined();

    await store.upsertCandidateRun({
      pipeline: 'gamma',
      instanceId: 'gamma--2',
      candidateId: 'lr-a',
      featurizer: 'f',
      classifier: 'logistic_regression',
      params: {},
      status: 'running',
    });
    await store.upsertCandidateRun({
      pipeline: 'gamma',
      instanceId: 'gamma--2',
      candidateId: 'lr-a',
      featurizer: 'f',
      classifier: 'logistic_regression',
      params: {},
      status: 'succeeded',
    });
    await store.upsertCandidateRun({
      pipeline: 'gamma',
      instanceId: 'gamma--3',
      candidateId: 'rf-b',
      featurizer: 'f',
      classifier: 'random_forest',
      params: {},
      status: 'failed',
    });
    expect((await store.listCandidateRuns('gamma', 'gamma--2')).map((c) => c.status)).toEqual(['succeeded']);
    expect(await store.listCandidateRuns('gamma')).toHaveLength(2);
    expect((await store.getCandidateRun('gamma', 'gamma--3', 'rf-b'))?.classifier).toBe('random_forest');
  });
});

describe('ModelRegistry (Cosmos)', () => {
  const lineage = (instanceId: string) => ({
    pipeline: 'p',
    instanceId,
    candidateId: 'c',
    classifier: 'random_forest',
    featurizer: 'f',
    params: {},
    specVersion: 1,
    dataSnapshot: 'd',
  });
  const metrics = { accuracy: 0.9, classAverageAccuracy: 0.9, rocAuc: {} };

  it('registers versions idempotently per run and promotes one to production at a time', async () => {
    const registry = new CosmosModelRegistry(containers.models);
    const now = new Date();
    const v1 = await registry.createVersion('delta', { packageUri: 'u1', metrics, lineage: lineage('i1') }, now);
    const again = await registry.createVersion('delta', { packageUri: 'u1', metrics, lineage: lineage('i1') }, now);
    const v2 = await registry.createVersion('delta', { packageUri: 'u2', metrics, lineage: lineage('i2') }, now);
    expect([v1.version, again.version, v2.version]).toEqual([1, 1, 2]);
    expect(v1.stage).toBe('staging');
    expect(await registry.getProduction('delta')).toBeUndefined();
    expect(await registry.promote('delta', 1, now)).toEqual({ previous: undefined });
    expect(await registry.promote('delta', 2, now)).toEqual({ previous: 1 });
    expect((await registry.listVersions('delta')).map((v) => [v.version, v.stage])).toEqual([
      [1, 'archived'],
      [2, 'production'],
    ]);
    expect(await registry.promote('delta', 1, now)).toEqual({ previous: 2 });
    expect((await registry.getProduction('delta'))?.version).toBe(1);
    await expect(registry.promote('delta', 7, now)).rejects.toMatchObject({ code: 'REGISTRY.NOT_FOUND' });
    expect(await registry.listModels()).toContain('delta');
  });

  it('keeps deployments per model', async () => {
    const registry = new CosmosModelRegistry(containers.models);
    const record = {
      model: 'eps',
      name: 'canopy-eps-v1',
      version: 1,
      target: 'local',
      state: 'creating' as const,
      trafficPercent: 0,
      createdAt: 't',
      updatedAt: 't',
    };
    await registry.upsertDeployment(record);
    await registry.upsertDeployment({ ...record, state: 'healthy', endpoint: 'http://x', trafficPercent: 100 });
    expect(await registry.listDeployments('eps')).toEqual([{ ...record, state: 'healthy', endpoint: 'http://x', trafficPercent: 100 }]);
    expect(await registry.getDeployment('eps', 'nope')).toBeUndefined();
  });
});

describe('ResourceLedger (Cosmos)', () => {
  it('records once, lists live entries and marks deletions', async () => {
    const ledger = new CosmosResourceLedger(containers.ledger);
    const entry = {
      id: `cluster:${randomUUID()}`,
      kind: 'cluster' as const,
      name: 'c1',
      target: 'local-spark',
      pipeline: 'p',
      instanceId: 'p--1',
      createdAt: 'a',
      expiresAt: '2026-11-22T01:00:00.000Z',
      owned: true,
    };
    await ledger.record(entry);
    await ledger.record({ ...entry, expiresAt: '2099-01-01T00:00:00.000Z' });
    expect((await ledger.get(entry.id))?.expiresAt).toBe(entry.expiresAt);
    expect((await ledger.listLive()).map((e) => e.id)).toContain(entry.id);
    expect((await ledger.listByInstance('p--1')).map((e) => e.id)).toEqual([entry.id]);
    await ledger.keepUntilExpiry(entry.id);
    expect(await ledger.get(entry.id)).toMatchObject({ keptUntilExpiry: true, expiresAt: entry.expiresAt });
    await ledger.markDeleted(entry.id, new Date('2026-11-22T02:00:00Z'));
    expect((await ledger.get(entry.id))?.deletedAt).toBe('2026-11-22T02:00:00.000Z');
    expect((await ledger.listLive()).map((e) => e.id)).not.toContain(entry.id);
    // The same name created again (a redeployed model version) is a live resource again.
    await ledger.record({ ...entry, createdAt: 'b', expiresAt: '2099-01-01T00:00:00.000Z' });
    expect(await ledger.get(entry.id)).toMatchObject({ createdAt: 'b', expiresAt: '2099-01-01T00:00:00.000Z' });
    expect((await ledger.get(entry.id))?.deletedAt).toBeUndefined();
  });
});
