import { DeploymentRecord, ModelVersion } from '../../shared/ports/modelRegistry';
import { TrafficSplitCache, TrafficSplitCacheOptions } from '../../shared/usecases/trafficSplitCache';

const refreshMs = 1000;

function deployment(model: string, name: string, trafficPercent: number, state: DeploymentRecord['state'] = 'healthy'): DeploymentRecord {
  return {
    model,
    name,
    version: 1,
    target: 'local',
    endpoint: `http://127.0.0.1:1/${name}`,
    state,
    trafficPercent,
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
  };
}

/** The registry's two reads the cache makes, counted, with the stored state, failures and a gate tests set. */
class ReadOnlyRegistry {
  deployments = new Map<string, DeploymentRecord[]>();
  versions = new Set<string>();
  reads = 0;
  failing = false;
  /** While set, reads wait for it: a read the test holds in flight. */
  gate: Promise<void> | undefined;

  async listDeployments(model: string): Promise<DeploymentRecord[]> {
    this.reads += 1;
    const snapshot = (this.deployments.get(model) ?? []).map((d) => ({ ...d }));
    await this.gate;
    if (this.failing) throw new Error('registry down');
    return snapshot;
  }

  async listVersions(model: string): Promise<ModelVersion[]> {
    return this.versions.has(model) ? [{ model, version: 1 } as ModelVersion] : [];
  }

  set(model: string, ...records: DeploymentRecord[]) {
    this.versions.add(model);
    this.deployments.set(model, records);
  }
}

let registry: ReadOnlyRegistry;
let refreshErrors: string[];
let cache: TrafficSplitCache;

function start(overrides: Partial<TrafficSplitCacheOptions> = {}) {
  cache = new TrafficSplitCache(registry, {
    refreshMs,
    maxStaleMs: 10 * refreshMs,
    forgetAfterMs: 60 * refreshMs,
    onRefreshError: (model, err) => refreshErrors.push(`${model}: ${(err as Error).message}`),
    now: () => Date.now(),
    ...overrides,
  });
}

const namesOf = async (model: string) => (await cache.routingOf(model)).routable.map((d) => `${d.name}=${d.trafficPercent}`);

beforeEach(() => {
  jest.useFakeTimers();
  registry = new ReadOnlyRegistry();
  refreshErrors = [];
  start();
});

afterEach(() => {
  cache.stop();
  jest.useRealTimers();
});

it('reads a model once, then answers from memory with only the deployments that take traffic', async () => {
  registry.set('m', deployment('m', 'a', 100), deployment('m', 'b', 0), deployment('m', 'c', 50, 'failed'));
  const [first, second] = await Promise.all([cache.routingOf('m'), cache.routingOf('m')]);
  expect(first).toBe(second);
  for (let i = 0; i < 100; i++) await cache.routingOf('m');
  expect(await namesOf('m')).toEqual(['a=100']);
  expect(registry.reads).toBe(1);
});

it("serves another instance's change within refreshMs plus one read, reading in the background only", async () => {
  registry.set('m', deployment('m', 'a', 100), deployment('m', 'b', 0));
  expect(await namesOf('m')).toEqual(['a=100']);
  registry.set('m', deployment('m', 'a', 0), deployment('m', 'b', 100));
  await jest.advanceTimersByTimeAsync(refreshMs - 1);
  expect(await namesOf('m')).toEqual(['a=100']);
  await jest.advanceTimersByTimeAsync(1);
  expect(await namesOf('m')).toEqual(['b=100']);
  // The refreshes go on in the background at the same pace, one read each.
  await jest.advanceTimersByTimeAsync(5 * refreshMs);
  expect(registry.reads).toBe(7);
});

it('reads afresh after invalidate, and a refresh in flight meanwhile does not put the old split back', async () => {
  registry.set('m', deployment('m', 'a', 100), deployment('m', 'b', 0));
  await cache.routingOf('m');
  let release!: () => void;
  registry.gate = new Promise((resolve) => (release = resolve));
  await jest.advanceTimersByTimeAsync(refreshMs);
  expect(registry.reads).toBe(2);
  // The write through this instance lands while that refresh is out with the old split.
  registry.set('m', deployment('m', 'a', 0), deployment('m', 'b', 100));
  cache.invalidate('m');
  registry.gate = undefined;
  expect(await namesOf('m')).toEqual(['b=100']);
  release();
  await jest.advanceTimersByTimeAsync(0);
  expect(await namesOf('m')).toEqual(['b=100']);
});

it('remembers an unknown model for refreshMs only, so one registered meanwhile is found', async () => {
  expect((await cache.routingOf('late')).known).toBe(false);
  registry.set('late', deployment('late', 'a', 100));
  expect((await cache.routingOf('late')).known).toBe(false);
  expect(registry.reads).toBe(1);
  await jest.advanceTimersByTimeAsync(refreshMs);
  expect(await namesOf('late')).toEqual(['a=100']);
  // A model with versions and no deployment yet is known, with nothing to route to.
  registry.versions.add('undeployed');
  expect(await cache.routingOf('undeployed')).toEqual({ known: true, routable: [] });
});

it('keeps the last good split while refreshes fail, and reads through once it is older than maxStaleMs', async () => {
  registry.set('m', deployment('m', 'a', 100));
  await cache.routingOf('m');
  registry.failing = true;
  await jest.advanceTimersByTimeAsync(3 * refreshMs);
  expect(refreshErrors).toEqual(['m: registry down', 'm: registry down', 'm: registry down']);
  expect(await namesOf('m')).toEqual(['a=100']);
  await jest.advanceTimersByTimeAsync(7 * refreshMs);
  await expect(cache.routingOf('m')).rejects.toThrow('registry down');
  registry.failing = false;
  registry.set('m', deployment('m', 'b', 100));
  expect(await namesOf('m')).toEqual(['b=100']);
});

it('stops refreshing a model nobody asks for, and everything on stop', async () => {
  start({ forgetAfterMs: 3 * refreshMs });
  registry.set('m', deployment('m', 'a', 100));
  await cache.routingOf('m');
  await jest.advanceTimersByTimeAsync(10 * refreshMs);
  // Refreshed while within forgetAfterMs of its last request, then dropped, and the timer with it.
  expect(registry.reads).toBe(4);
  expect(jest.getTimerCount()).toBe(0);
  await cache.routingOf('m');
  expect(registry.reads).toBe(5);
  cache.stop();
  await jest.advanceTimersByTimeAsync(10 * refreshMs);
  expect(registry.reads).toBe(5);
});
