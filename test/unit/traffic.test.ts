import { CanopyError } from '../../shared/errors';
import { Clock } from '../../shared/ports/clock';
import { DeploymentRecord, ModelRegistry, ModelVersion } from '../../shared/ports/modelRegistry';
import { promoteVersion, rollBack, setTrafficSplit, switchToNewDeployment, TrafficDeps } from '../../shared/usecases/traffic';

/** A registry in memory that keeps every deployment write, in order, and promotes as the Cosmos one does. */
class MemoryRegistry implements ModelRegistry {
  readonly versions: ModelVersion[] = [];
  readonly deployments = new Map<string, DeploymentRecord>();
  readonly writes: { name: string; trafficPercent: number }[] = [];

  async createVersion(model: string, data: Omit<ModelVersion, 'model' | 'version' | 'stage' | 'createdAt'>, now: Date) {
    const version: ModelVersion = { ...data, model, version: this.versions.length + 1, stage: 'staging', createdAt: now.toISOString() };
    this.versions.push(version);
    return version;
  }
  async getVersion(model: string, version: number) {
    return this.versions.find((v) => v.model === model && v.version === version);
  }
  async listVersions(model: string) {
    return this.versions.filter((v) => v.model === model).map((v) => ({ ...v }));
  }
  async listModels() {
    return [...new Set(this.versions.map((v) => v.model))];
  }
  async getProduction(model: string) {
    return this.versions.find((v) => v.model === model && v.stage === 'production');
  }
  async promote(model: string, version: number, now: Date) {
    const current = this.versions.filter((v) => v.model === model && v.stage === 'production' && v.version !== version);
    const target = this.versions.find((v) => v.model === model && v.version === version)!;
    target.stage = 'production';
    target.promotedAt = now.toISOString();
    for (const v of current) v.stage = 'archived';
    return { previous: current[0]?.version };
  }
  async upsertDeployment(record: DeploymentRecord) {
    this.writes.push({ name: record.name, trafficPercent: record.trafficPercent });
    this.deployments.set(record.name, { ...record });
  }
  async getDeployment(_model: string, name: string) {
    return this.deployments.get(name);
  }
  async listDeployments(model: string) {
    return [...this.deployments.values()].filter((d) => d.model === model).sort((a, b) => a.version - b.version);
  }
  shares(): Record<string, number> {
    return Object.fromEntries([...this.deployments.values()].map((d) => [d.name, d.trafficPercent]));
  }
}

const model = 'fashion';
let minute = 0;
const clock: Clock = { now: () => new Date(Date.UTC(2026, 10, 22, 12, minute++)) };

async function registryWith(versions: number, deployed: Record<number, number>, production?: number): Promise<MemoryRegistry> {
  const registry = new MemoryRegistry();
  for (let v = 1; v <= versions; v++) {
    await registry.createVersion(
      model,
      {
        packageUri: `file:///p/${v}`,
        metrics: { accuracy: 0.8, classAverageAccuracy: 0.8, rocAuc: {} },
        lineage: {
          pipeline: model,
          instanceId: `i${v}`,
          candidateId: 'c',
          classifier: 'lr',
          featurizer: 'f',
          params: {},
          specVersion: 1,
          dataSnapshot: 'd',
        },
      },
      clock.now(),
    );
    if (v === production) await registry.promote(model, v, clock.now());
  }
  for (const [v, trafficPercent] of Object.entries(deployed))
    await registry.upsertDeployment({
      model,
      name: `${model}-v${v}`,
      version: Number(v),
      target: 'local',
      endpoint: `http://127.0.0.1:1/v${v}`,
      state: 'healthy',
      trafficPercent,
      createdAt: 't',
      updatedAt: 't',
    });
  registry.writes.length = 0;
  return registry;
}

const depsOf = (registry: ModelRegistry): TrafficDeps => ({ registry, clock });

async function refusal(promise: Promise<unknown>): Promise<CanopyError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CanopyError);
  return err as CanopyError;
}

describe('setTrafficSplit', () => {
  it('lowers shares before it raises any, so no deployment ever holds more than its old and new share', async () => {
    const registry = await registryWith(3, { 1: 30, 2: 70, 3: 0 });
    const after = await setTrafficSplit(depsOf(registry), model, { deployments: { 'fashion-v1': 60, 'fashion-v3': 40 } });
    expect(registry.writes).toEqual([
      { name: 'fashion-v2', trafficPercent: 0 },
      { name: 'fashion-v1', trafficPercent: 60 },
      { name: 'fashion-v3', trafficPercent: 40 },
    ]);
    expect(after.map((d) => [d.name, d.trafficPercent])).toEqual([
      ['fashion-v1', 60],
      ['fashion-v2', 0],
      ['fashion-v3', 40],
    ]);
  });

  it('refuses a split that does not add up, listing the problems, and writes nothing', async () => {
    const registry = await registryWith(2, { 1: 100, 2: 0 });
    const err = await refusal(setTrafficSplit(depsOf(registry), model, { deployments: { 'fashion-v1': 50, 'fashion-v9': 20 } }));
    expect(err).toMatchObject({ code: 'TRAFFIC.INVALID_SPLIT', transient: false });
    expect(err.details?.problems).toEqual(['deployments.fashion-v9: no such deployment']);
    expect(registry.writes).toEqual([]);
  });

  it('answers MODEL.NOT_FOUND for a model with neither versions nor deployments', async () => {
    const err = await refusal(setTrafficSplit(depsOf(new MemoryRegistry()), 'nope', { deployments: {} }));
    expect(err.code).toBe('MODEL.NOT_FOUND');
  });
});

describe('promoteVersion and rollBack', () => {
  it('promotes a deployed version, taking traffic off the old deployment before giving it to the new one', async () => {
    const registry = await registryWith(2, { 1: 100, 2: 0 }, 1);
    expect(await promoteVersion(depsOf(registry), model, 2)).toEqual({
      previous: 1,
      deployment: 'fashion-v2',
      endpoint: 'http://127.0.0.1:1/v2',
    });
    expect(registry.writes).toEqual([
      { name: 'fashion-v1', trafficPercent: 0 },
      { name: 'fashion-v2', trafficPercent: 100 },
    ]);
    expect((await registry.getProduction(model))?.version).toBe(2);
  });

  it('refuses a version without a healthy deployment, an unknown version and an unknown model', async () => {
    const registry = await registryWith(3, { 1: 100, 2: 0 }, 1);
    expect((await refusal(promoteVersion(depsOf(registry), model, 3))).code).toBe('MODEL.NOT_DEPLOYED');
    expect((await refusal(promoteVersion(depsOf(registry), model, 9))).code).toBe('MODEL.VERSION_NOT_FOUND');
    expect((await refusal(promoteVersion(depsOf(registry), 'nope', 1))).code).toBe('MODEL.NOT_FOUND');
    expect(registry.writes).toEqual([]);
  });

  it('rolls back to the earlier production version that is still deployed', async () => {
    const registry = await registryWith(2, { 1: 100, 2: 0 }, 1);
    await promoteVersion(depsOf(registry), model, 2);
    registry.writes.length = 0;
    expect(await rollBack(depsOf(registry), model)).toEqual({
      version: 1,
      previous: 2,
      deployment: 'fashion-v1',
      endpoint: 'http://127.0.0.1:1/v1',
    });
    expect(registry.writes).toEqual([
      { name: 'fashion-v2', trafficPercent: 0 },
      { name: 'fashion-v1', trafficPercent: 100 },
    ]);
  });

  it('refuses a rollback with no earlier production version', async () => {
    const registry = await registryWith(1, { 1: 100 }, 1);
    expect((await refusal(rollBack(depsOf(registry), model))).code).toBe('MODEL.NO_ROLLBACK_TARGET');
  });
});

describe('switchToNewDeployment', () => {
  const switchTo = (registry: ModelRegistry, version: number, canaryPercent?: number) =>
    switchToNewDeployment(depsOf(registry), {
      model,
      version,
      name: `${model}-v${version}`,
      endpoint: `http://127.0.0.1:2/v${version}`,
      target: 'aci',
      canaryPercent,
    });

  it('gives the first version everything and makes it production, recording the deployment it did not know', async () => {
    const registry = await registryWith(1, {});
    expect(await switchTo(registry, 1, 10)).toEqual({ previous: undefined, canary: false });
    expect(await registry.getDeployment(model, 'fashion-v1')).toMatchObject({
      state: 'healthy',
      endpoint: 'http://127.0.0.1:2/v1',
      target: 'aci',
      trafficPercent: 100,
    });
    expect((await registry.getProduction(model))?.version).toBe(1);
  });

  it('sends a canary its share while production keeps the rest, lowering production first, and is the same run twice', async () => {
    const registry = await registryWith(2, { 1: 100, 2: 0 }, 1);
    registry.deployments.set('fashion-v2', { ...registry.deployments.get('fashion-v2')!, state: 'creating', endpoint: undefined });
    expect(await switchTo(registry, 2, 10)).toEqual({ previous: undefined, canary: true });
    expect(registry.writes).toEqual([
      { name: 'fashion-v2', trafficPercent: 0 },
      { name: 'fashion-v1', trafficPercent: 90 },
      { name: 'fashion-v2', trafficPercent: 10 },
    ]);
    expect(await switchTo(registry, 2, 10)).toEqual({ previous: undefined, canary: true });
    expect(registry.shares()).toEqual({ 'fashion-v1': 90, 'fashion-v2': 10 });
    expect((await registry.getProduction(model))?.version).toBe(1);
    expect((await registry.getVersion(model, 2))?.stage).toBe('staging');
  });

  it('promotes without a canary, and a re-run reports the same version it replaced', async () => {
    const registry = await registryWith(2, { 1: 100, 2: 0 }, 1);
    expect(await switchTo(registry, 2)).toEqual({ previous: 1, canary: false });
    expect(await switchTo(registry, 2)).toEqual({ previous: 1, canary: false });
    expect(registry.shares()).toEqual({ 'fashion-v1': 0, 'fashion-v2': 100 });
    expect((await registry.getVersion(model, 1))?.stage).toBe('archived');
    expect((await registry.getProduction(model))?.version).toBe(2);
  });
});
