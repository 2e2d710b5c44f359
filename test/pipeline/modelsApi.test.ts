import { randomUUID } from 'node:crypto';
import { CanopyUnderTest, stores } from '../support/canopyUnderTest';
import { Json } from '../support/json';

// Promote and rollback act on the registry's versions and deployments; these are written
// directly here so the test needs no Spark run.
describe('models API', () => {
  let canopy: CanopyUnderTest;
  const model = `m-${randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    canopy = await CanopyUnderTest.start();
    const { registry } = await stores();
    const metrics = { accuracy: 0.8, classAverageAccuracy: 0.8, rocAuc: {} };
    const now = new Date('2026-11-22T00:00:00Z');
    for (let v = 1; v <= 3; v++) {
      await registry.createVersion(
        model,
        {
          packageUri: `u${v}`,
          metrics,
          lineage: {
            pipeline: model,
            instanceId: `i${v}`,
            candidateId: 'c',
            classifier: 'x',
            featurizer: 'f',
            params: {},
            specVersion: 1,
            dataSnapshot: 'd',
          },
        },
        now,
      );
    }
    for (const v of [1, 2]) {
      await registry.upsertDeployment({
        model,
        name: `${model}-v${v}`,
        version: v,
        target: 'local',
        state: 'healthy',
        endpoint: `http://127.0.0.1:1/${v}`,
        trafficPercent: 0,
        createdAt: 't',
        updatedAt: 't',
      });
    }
  });
  afterAll(async () => {
    await canopy?.stop();
  });

  const traffic = async (): Promise<Record<number, number>> =>
    Object.fromEntries(
      (await canopy.api('GET', `models/${model}/deployments`)).body.deployments.map((d: Json) => [d.version, d.trafficPercent]),
    );

  it('promotes a deployed version, refuses one without a deployment, and rolls back to the previous production', async () => {
    expect((await canopy.api('POST', `models/${model}/versions/1/promote`)).status).toBe(200);
    const promoted = await canopy.api('POST', `models/${model}/versions/2/promote`);
    expect(promoted.body).toMatchObject({ model, version: 2, previous: 1, deployment: `${model}-v2` });
    expect(await traffic()).toEqual({ 1: 0, 2: 100 });

    const notDeployed = await canopy.api('POST', `models/${model}/versions/3/promote`);
    expect(notDeployed.status).toBe(409);
    expect(notDeployed.body.error.code).toBe('MODEL.NOT_DEPLOYED');
    expect((await canopy.api('POST', `models/${model}/versions/9/promote`)).status).toBe(404);

    const rolledBack = await canopy.api('POST', `models/${model}/rollback`);
    expect(rolledBack.body).toMatchObject({ version: 1, previous: 2 });
    expect(await traffic()).toEqual({ 1: 100, 2: 0 });
    const versions = (await canopy.api('GET', `models/${model}`)).body.versions.map((v: Json) => [v.version, v.stage]);
    expect(versions).toEqual([
      [1, 'production'],
      [2, 'archived'],
      [3, 'staging'],
    ]);
    expect((await canopy.api('GET', 'models')).body.models).toContainEqual({ model, productionVersion: 1, versions: 3 });
  });

  it('answers 404 for an unknown model, 401 without a key, and serves the OpenAPI document', async () => {
    expect((await canopy.api('GET', `models/${model}-nope`)).status).toBe(404);
    expect((await canopy.api('POST', `models/${model}/rollback`, undefined, null)).status).toBe(401);
    const doc = await canopy.api('GET', 'openapi.json', undefined, null);
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.0.3');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/pipelines', '/pipelines/{name}/runs', '/models/{name}/rollback']),
    );
    expect(doc.body.components.schemas.PipelineSpec.required).toEqual(['name', 'scenario', 'data', 'candidates']);
  });
});
