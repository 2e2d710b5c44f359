import { randomUUID } from 'node:crypto';
import { CosmosDeploymentMetrics } from '../../shared/adapters/azure/cosmosDeploymentMetrics';
import { CosmosModelRegistry } from '../../shared/adapters/azure/cosmosModelRegistry';
import { CanopyContainers, openCanopyContainers } from '../../shared/adapters/azure/cosmosSchema';
import {
  emptyWindow,
  maxMetricsLookbackMinutes,
  metricsRetentionSeconds,
  MetricsWindow,
  recordInto,
} from '../../shared/domain/deploymentMetrics';
import { testCosmosClient } from '../support/testStack';

// Contract of the DeploymentMetricsStore port against the Cosmos emulator; the same adapter talks to Azure Cosmos DB.
const client = testCosmosClient();

function window(deployment: string, windowStart: string, latencies: number[], errors = 0): MetricsWindow {
  const w = emptyWindow('iris', deployment, 1, windowStart);
  latencies.forEach((ms, i) => recordInto(w, ms, i < errors));
  return w;
}

describe('DeploymentMetricsStore (Cosmos)', () => {
  let store: CosmosDeploymentMetrics;
  let other: CosmosDeploymentMetrics;
  let registry: CosmosModelRegistry;
  let containers: CanopyContainers;

  beforeAll(async () => {
    containers = await openCanopyContainers(client, `metrics-${randomUUID().slice(0, 8)}`);
    store = new CosmosDeploymentMetrics(containers.models);
    // A second instance's adapter on the same container, as another function instance would have.
    other = new CosmosDeploymentMetrics(containers.models);
    registry = new CosmosModelRegistry(containers.models);
  });

  it('adds windows into the stored ones and lists them from a time on', async () => {
    await store.add([window('d1', '2026-11-22T10:00:00.000Z', [5, 7], 1), window('d2', '2026-11-22T10:01:00.000Z', [3])]);
    await store.add([window('d1', '2026-11-22T10:00:00.000Z', [9])]);
    const all = await store.list('iris', new Date('2026-11-22T09:00:00.000Z'));
    const d1 = all.find((w) => w.deployment === 'd1')!;
    expect([d1.requests, d1.errors, d1.latencyMsSum]).toEqual([3, 1, 21]);
    expect(Object.values(d1.latencyBuckets).reduce((a, b) => a + b, 0)).toBe(3);
    expect((await store.list('iris', new Date('2026-11-22T10:01:00.000Z'))).map((w) => w.deployment)).toEqual(['d2']);
    expect(await store.list('nobody', new Date(0))).toEqual([]);
  });

  it('loses no count when two instances add to the same window at once', async () => {
    const start = '2026-11-22T11:00:00.000Z';
    await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? store : other).add([window('hot', start, [1, 2, 3], 1)])));
    const [hot] = await store.list('iris', new Date(start));
    expect([hot.requests, hot.errors, hot.latencyMsSum]).toEqual([24, 8, 48]);
  });

  it('expires its windows a day after the longest look back, and only them: the models container has TTL on with no default', async () => {
    expect(metricsRetentionSeconds).toBe(maxMetricsLookbackMinutes * 60 + 86_400);
    expect((await containers.models.read()).resource?.defaultTtl).toBe(-1);
    const start = '2026-11-22T12:00:00.000Z';
    await store.add([window('ttl', start, [4])]);
    await store.add([window('ttl', start, [6])]);
    const { resource } = await containers.models.item(`metrics:ttl:${start}`, 'iris').read();
    expect(resource).toMatchObject({ ttl: metricsRetentionSeconds, requests: 2 });
    const [listed] = await store.list('iris', new Date(start));
    expect(listed).not.toHaveProperty('ttl');
    expect(listed).not.toHaveProperty('kind');
  });

  it('lives beside the registry without showing up in its listings', async () => {
    expect(await registry.listModels()).toEqual([]);
    expect(await registry.listDeployments('iris')).toEqual([]);
  });
});
