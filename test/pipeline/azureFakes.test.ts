import { randomUUID } from 'node:crypto';
import { candidateGrid } from '../../shared/domain/candidateGrid';
import { clusterName } from '../../shared/domain/naming';
import { validatePipelineSpec } from '../../shared/domain/pipelineSpec';
import { hdinsightCreateRefusals } from '../../devhost/azureFakes/hdinsightClusters';
import { AzureFakes, startAzureFakes } from '../support/azureFakes';
import { CanopyUnderTest, fashionSample, imageSpec, stores, uploadFolder } from '../support/canopyUnderTest';
import { Json } from '../support/json';

// The whole training pipeline on the devhost with `compute: hdinsight` and `deploy: aci` against the ARM, Livy and
// Container Instances fakes: the Azure adapters do every call; the happy path really trains (Livy batches run on
// local Spark), the failure paths play back recorded outcomes and must tear everything down.
jest.setTimeout(15 * 60_000);

const logistic = [{ type: 'logistic_regression', grid: { regParam: [0.01], maxIter: [50] } }];

function azureSpec(name: string, classifiers: Json[] = logistic): Json {
  return imageSpec(name, classifiers, {
    compute: { target: 'hdinsight', candidateTimeoutMinutes: 20, provisionTimeoutMinutes: 5 },
    deployment: { target: 'aci', healthTimeoutMinutes: 1 },
  });
}

async function runInline(canopy: CanopyUnderTest, spec: Json): Promise<string> {
  const started = await canopy.api('POST', 'runs', { spec });
  expect(started.status).toBe(202);
  return started.body.instanceId as string;
}

/** The cluster was deleted through ARM (404 now) and its ledger entry closed. */
async function expectClusterTornDown(fakes: AzureFakes, instanceId: string): Promise<void> {
  const cluster = clusterName(instanceId);
  expect(fakes.arm.requestsTo('DELETE', `/clusters/${cluster}`).map((r) => r.status)).toContain(202);
  expect(fakes.arm.resource(fakes.clusterId(cluster))).toBeUndefined();
  const { ledger } = await stores();
  expect((await ledger.get(`cluster:hdinsight:${cluster}`))?.deletedAt).toBeDefined();
}

async function startCanopy(fakes: AzureFakes): Promise<CanopyUnderTest> {
  return CanopyUnderTest.start({ ...fakes.env, CANOPY_POLL_SECONDS: '1' });
}

describe('training pipeline on HDInsight + ACI fakes, really training', () => {
  let fakes: AzureFakes;
  let canopy: CanopyUnderTest;
  const name = `az-${randomUUID().slice(0, 6)}`;
  beforeAll(async () => {
    const data = fashionSample();
    fakes = await startAzureFakes({ runner: 'spark', aci: true });
    canopy = await startCanopy(fakes);
    await uploadFolder('canopy-landing', `${name}/`, data);
  });
  afterAll(async () => {
    await canopy?.stop();
    await fakes?.close();
  });

  it('creates the cluster, trains through Livy, deploys to ACI, and deletes the cluster', async () => {
    const instanceId = await runInline(canopy, azureSpec(name));
    const done = await canopy.waitForEnd(name, instanceId);
    expect(done.orchestration.output).toMatchObject({
      pipelineStatus: 'succeeded',
      candidates: { total: 1, succeeded: 1, failed: 0 },
      tornDown: true,
      decision: { promoted: true },
    });
    expect(done.candidates[0].metrics.accuracy).toBeGreaterThan(0.2);
    const cluster = clusterName(instanceId);
    const [put] = fakes.arm.requestsTo('PUT', `/clusters/${cluster}`);
    expect(put.body).toMatchObject({ tags: { 'canopy-pipeline': name, 'canopy-instance': instanceId, 'canopy-kind': 'cluster' } });
    const batches = await fakes.livy.submitted(cluster);
    expect(batches.map((b) => [b.job.job, b.state])).toEqual([['image_train', 'success']]);
    await expectClusterTornDown(fakes, instanceId);
    expect(fakes.arm.requestsTo('PUT', '/containerGroups/').length).toBeGreaterThan(0);
    expect(done.orchestration.output.deployed.endpoint).toBeDefined();
  });
});

describe('training pipeline on HDInsight + ACI fakes, failure paths (recorded outcomes)', () => {
  let fakes: AzureFakes;
  let canopy: CanopyUnderTest;
  const prefix = `azf-${randomUUID().slice(0, 6)}`;
  beforeAll(async () => {
    const data = fashionSample();
    fakes = await startAzureFakes({ runner: 'recorded', aci: true });
    canopy = await startCanopy(fakes);
    for (const name of ['create', 'forbidden', 'quota', 'dead', 'forgotten', 'grid', 'cancel', 'unhealthy'])
      await uploadFolder('canopy-landing', `${prefix}-${name}/`, data);
  });
  afterAll(async () => {
    await canopy?.stop();
    await fakes?.close();
  });

  it('tears down when the cluster create fails, with Azure’s error in the run', async () => {
    const name = `${prefix}-create`;
    fakes.arm.faults.failNextCreate('Microsoft.HDInsight/clusters', {
      code: 'InsufficientCores',
      message: 'The subscription has 8 cores left in eastus; 28 are needed.',
    });
    const instanceId = await runInline(canopy, azureSpec(name));
    const done = await canopy.waitForEnd(name, instanceId);
    expect(done.orchestration.output).toMatchObject({
      pipelineStatus: 'failed',
      tornDown: true,
      error: { code: 'COMPUTE.CREATE_FAILED', message: expect.stringContaining('InsufficientCores') },
    });
    await expectClusterTornDown(fakes, instanceId);
    expect(fakes.livy.requests.some((r) => r.method === 'POST' && r.path.includes(clusterName(instanceId)))).toBe(false);
  });

  it.each([
    ['forbidden', 'ARM.FORBIDDEN', /does not have authorization to perform action 'Microsoft\.HDInsight\/clusters\/write'/],
    ['quota', 'ARM.QUOTA_EXCEEDED', /does not have cores left .* Required: 40, Available: 20/],
  ])(
    'fails at once when ARM refuses the create (%s), with the code and Azure’s message, and closes the ledger',
    async (kind, code, message) => {
      const name = `${prefix}-${kind}`;
      fakes.arm.faults.refuseNextCreate(
        'Microsoft.HDInsight/clusters',
        kind === 'forbidden'
          ? hdinsightCreateRefusals.authorizationFailed({ clientId: 'canopy-app', objectId: '00000000-0000-0000-0000-000000000001' })
          : hdinsightCreateRefusals.insufficientCores({ subscriptionId: 'sub', required: 40, available: 20 }),
      );
      const instanceId = await runInline(canopy, azureSpec(name));
      const done = await canopy.waitForEnd(name, instanceId);
      expect(done.orchestration.output).toMatchObject({
        pipelineStatus: 'failed',
        tornDown: true,
        error: { code, message: expect.stringMatching(message) },
      });
      const cluster = clusterName(instanceId);
      // A refusal is not retried: one create, refused.
      expect(fakes.arm.requestsTo('PUT', `/clusters/${cluster}`).map((r) => r.status)).toEqual([kind === 'forbidden' ? 403 : 400]);
      expect(fakes.arm.resource(fakes.clusterId(cluster))).toBeUndefined();
      const { ledger, runs } = await stores();
      expect((await ledger.get(`cluster:hdinsight:${cluster}`))?.deletedAt).toBeDefined();
      expect(await runs.getPipelineRun(name, instanceId)).toMatchObject({ status: 'failed', error: { code } });
    },
  );

  it('records a dead batch with the end of its Livy log and tears down', async () => {
    const name = `${prefix}-dead`;
    fakes.recorded?.next({ ends: 'dead', log: ['Traceback (most recent call last):', 'ValueError: regParam must be >= 0'] });
    const instanceId = await runInline(canopy, azureSpec(name));
    const done = await canopy.waitForEnd(name, instanceId);
    expect(done.orchestration.output).toMatchObject({ pipelineStatus: 'failed', tornDown: true, error: { code: 'TRAIN.ALL_FAILED' } });
    expect(done.candidates[0].status).toBe('failed');
    expect(done.candidates[0].error.message).toContain('ValueError: regParam must be >= 0');
    await expectClusterTornDown(fakes, instanceId);
  });

  it('records a candidate whose batch Livy forgot before the next poll as the success it was', async () => {
    const name = `${prefix}-forgotten`;
    fakes.livy.retainFinishedBatchesFor(0);
    try {
      const instanceId = await runInline(canopy, azureSpec(name));
      const done = await canopy.waitForEnd(name, instanceId);
      expect(done.orchestration.output).toMatchObject({ candidates: { total: 1, succeeded: 1, failed: 0 }, tornDown: true });
      expect(done.candidates[0].metrics.accuracy).toBeGreaterThan(0);
      const cluster = clusterName(instanceId);
      const polls = fakes.livy.requests.filter(
        (r) => r.method === 'GET' && /\/batches\/\d+$/.test(r.path) && r.path.startsWith(`/${cluster}/`),
      );
      expect(polls.map((r) => r.status)).toContain(404);
      await expectClusterTornDown(fakes, instanceId);
    } finally {
      fakes.livy.retainFinishedBatchesFor(600_000);
    }
  });

  it("submits one Livy batch for a featurizer's grid and records a candidate failing inside it alone", async () => {
    const name = `${prefix}-grid`;
    const spec = azureSpec(name, [
      { type: 'logistic_regression', grid: { regParam: [0.01, 0.1] } },
      { type: 'random_forest', grid: { numTrees: [20] } },
    ]);
    const validated = validatePipelineSpec(spec, (s) => candidateGrid(s).length);
    if (!validated.ok) throw new Error(validated.problems.join('; '));
    const ids = candidateGrid(validated.spec).map((c) => c.id);
    const failing = ids[2];
    fakes.recorded?.next({ failedCandidates: [failing] });
    const instanceId = await runInline(canopy, spec);
    const done = await canopy.waitForEnd(name, instanceId);
    expect(done.orchestration.output).toMatchObject({ candidates: { total: 3, succeeded: 2, failed: 1 }, tornDown: true });
    const cluster = clusterName(instanceId);
    const posts = fakes.livy.requests.filter((r) => r.method === 'POST' && r.path.startsWith(`/${cluster}/`));
    expect(posts).toHaveLength(1);
    const args = (posts[0].body as { args: string[] }).args;
    expect(JSON.parse(args[args.indexOf('--grid') + 1]).map((c: Json) => c.id)).toEqual(ids);
    expect(args[args.indexOf('--parallelism') + 1]).toBe('2');
    const byId = Object.fromEntries(done.candidates.map((c: Json) => [c.candidateId, c]));
    expect(ids.map((id) => byId[id].status)).toEqual(['succeeded', 'succeeded', 'failed']);
    expect(byId[failing].error).toMatchObject({
      code: 'TRAIN.CANDIDATE_FAILED',
      message: expect.stringContaining('the recorded candidate failed'),
    });
    expect(new Set(ids.map((id) => byId[id].batchId)).size).toBe(1);
    await expectClusterTornDown(fakes, instanceId);
  });

  it('kills the running batch through Livy and deletes the cluster when cancelled mid-training', async () => {
    const name = `${prefix}-cancel`;
    const recorded = fakes.recorded!;
    recorded.hold = true;
    try {
      const instanceId = await runInline(canopy, azureSpec(name));
      await canopy.waitFor(name, instanceId, (v) => v.orchestration?.customStatus?.candidates?.running > 0);
      expect((await canopy.api('POST', `pipelines/${name}/runs/${instanceId}/cancel`)).status).toBe(202);
      const done = await canopy.waitForEnd(name, instanceId);
      expect(done.orchestration.output).toMatchObject({ pipelineStatus: 'cancelled', tornDown: true, error: { code: 'RUN.CANCELLED' } });
      const cluster = clusterName(instanceId);
      // Livy forgets a batch at once after DELETE (Livy 0.7): nothing is left on the cluster.
      expect(await fakes.livy.batches(cluster)).toEqual([]);
      expect(fakes.livy.requests.filter((r) => r.method === 'DELETE' && r.path.startsWith(`/${cluster}/`)).length).toBeGreaterThan(0);
      await expectClusterTornDown(fakes, instanceId);
    } finally {
      recorded.hold = false;
    }
  });

  it('removes a deployment that never becomes healthy, and still tears the cluster down', async () => {
    const name = `${prefix}-unhealthy`;
    fakes.aci?.injectContainerFault('never-healthy');
    const instanceId = await runInline(canopy, azureSpec(name));
    const done = await canopy.waitForEnd(name, instanceId);
    expect(done.orchestration.output).toMatchObject({ pipelineStatus: 'failed', tornDown: true, error: { code: 'DEPLOY.UNHEALTHY' } });
    const groups = fakes.arm.requestsTo('PUT', '/containerGroups/');
    expect(groups.length).toBeGreaterThan(0);
    const group = groups[groups.length - 1].path.split('/').pop() ?? '';
    expect(fakes.arm.requestsTo('DELETE', `/containerGroups/${group}`).length).toBeGreaterThan(0);
    await expectClusterTornDown(fakes, instanceId);
  });
});
