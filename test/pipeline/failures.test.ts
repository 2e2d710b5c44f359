import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clusterName } from '../../shared/domain/naming';
import { CanopyUnderTest, fashionSample, imageSpec, stores, uploadFolder } from '../support/canopyUnderTest';
import { Json } from '../support/json';

jest.setTimeout(15 * 60_000);

const good = [{ type: 'logistic_regression', grid: { regParam: [0.01], maxIter: [50] } }];

async function runInline(canopy: CanopyUnderTest, spec: Json): Promise<string> {
  const started = await canopy.api('POST', 'runs', { spec });
  expect(started.status).toBe(202);
  return started.body.instanceId as string;
}

async function expectTornDown(canopy: CanopyUnderTest, instanceId: string): Promise<void> {
  const cluster = clusterName(instanceId);
  expect(canopy.clusterFile(cluster).state).toBe('deleted');
  const { ledger } = await stores();
  expect((await ledger.get(`cluster:local-spark:${cluster}`))?.deletedAt).toBeDefined();
}

describe('training pipeline failures', () => {
  let canopy: CanopyUnderTest;
  const prefix = `f-${randomUUID().slice(0, 6)}`;
  beforeAll(async () => {
    const data = fashionSample();
    canopy = await CanopyUnderTest.start();
    for (const name of ['train', 'cancel', 'terminate', 'keep']) await uploadFolder('canopy-landing', `${prefix}-${name}/`, data);
  });
  afterAll(async () => {
    await canopy?.stop();
  });

  it('tears down after a training failure (every candidate failed)', async () => {
    const name = `${prefix}-train`;
    const instanceId = await runInline(canopy, imageSpec(name, [{ type: 'logistic_regression', grid: { regParam: [-1] } }]));
    const done = await canopy.waitForEnd(name, instanceId);
    expect(done.orchestration.output).toMatchObject({ pipelineStatus: 'failed', tornDown: true, error: { code: 'TRAIN.ALL_FAILED' } });
    await expectTornDown(canopy, instanceId);
    const { runs } = await stores();
    expect(await runs.getPipelineRun(name, instanceId)).toMatchObject({ status: 'failed', error: { code: 'TRAIN.ALL_FAILED' } });
  });

  it('tears down when cancelled mid-training, killing the running batch', async () => {
    const name = `${prefix}-cancel`;
    const instanceId = await runInline(canopy, imageSpec(name, good));
    const training = await canopy.waitFor(name, instanceId, (v) => v.orchestration?.customStatus?.candidates?.running > 0);
    // The run document is kept up to date while the run is live, not only at its end.
    expect(training.run).toMatchObject({
      status: 'running',
      stage: 'train',
      stageSeconds: { provision: expect.any(Number), copy: expect.any(Number) },
    });
    expect(training.run.costUsd).toEqual(expect.any(Number));
    expect(training.candidates).toEqual([expect.objectContaining({ status: 'running' })]);
    // While the run waits on its training child, the status it shows is brought up to now.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const later = await canopy.waitFor(name, instanceId, () => true);
    expect(later.orchestration.customStatus.stage).toBe('train');
    expect(later.orchestration.customStatus.elapsedSeconds - training.orchestration.customStatus.elapsedSeconds).toBeGreaterThanOrEqual(2);
    const cancelled = await canopy.api('POST', `pipelines/${name}/runs/${instanceId}/cancel`);
    expect(cancelled.status).toBe(202);
    const done = await canopy.waitForEnd(name, instanceId);
    expect(done.orchestration.output).toMatchObject({ pipelineStatus: 'cancelled', tornDown: true, error: { code: 'RUN.CANCELLED' } });
    await expectTornDown(canopy, instanceId);
    const batches = fs.readdirSync(path.join(canopy.stateDir, 'compute', clusterName(instanceId), 'batches'));
    expect(batches).toHaveLength(1);
    expect(fs.existsSync(path.join(canopy.batchDir(clusterName(instanceId), batches[0]), 'killed'))).toBe(true);
    expect((await canopy.api('POST', `pipelines/${name}/runs/${instanceId}/cancel`)).status).toBe(409);
    const { runs } = await stores();
    expect((await runs.getPipelineRun(name, instanceId))?.status).toBe('cancelled');
    // A cancelled run leaves no candidate running.
    expect((await runs.listCandidateRuns(name, instanceId)).map((c) => [c.status, c.error?.code])).toEqual([
      ['cancelled', 'RUN.CANCELLED'],
    ]);
  });

  it("removes a terminated run's cluster with the reaper", async () => {
    const name = `${prefix}-terminate`;
    const instanceId = await runInline(canopy, imageSpec(name, good));
    await canopy.waitFor(name, instanceId, (v) => v.orchestration?.customStatus?.candidates?.running > 0);
    expect(await canopy.durable('POST', `instances/${instanceId}/terminate?reason=test`)).toBe(202);
    await canopy.waitFor(name, instanceId, (v) => v.orchestration?.runtimeStatus === 'Terminated');
    const cluster = clusterName(instanceId);
    expect(canopy.clusterFile(cluster).state).toBe('running');

    const reaped = await canopy.api('POST', 'maintenance/reap', undefined, canopy.host.masterKey);
    expect(reaped.status).toBe(200);
    expect(reaped.body.deleted).toEqual(
      expect.arrayContaining([{ id: `cluster:local-spark:${cluster}`, reason: `run ${instanceId} is no longer running` }]),
    );
    await expectTornDown(canopy, instanceId);
  });

  it("keeps a failed run's cluster with keep-on-failure, and the reaper leaves it until its expiry", async () => {
    const name = `${prefix}-keep`;
    const spec = imageSpec(name, [{ type: 'logistic_regression', grid: { regParam: [-1] } }], { teardown: { policy: 'keep-on-failure' } });
    const instanceId = await runInline(canopy, spec);
    const done = await canopy.waitForEnd(name, instanceId);
    expect(done.orchestration.output).toMatchObject({ pipelineStatus: 'failed', tornDown: false, error: { code: 'TRAIN.ALL_FAILED' } });
    const cluster = clusterName(instanceId);
    const { ledger } = await stores();
    expect(await ledger.get(`cluster:local-spark:${cluster}`)).toMatchObject({ keptUntilExpiry: true });
    const reaped = await canopy.api('POST', 'maintenance/reap', undefined, canopy.host.masterKey);
    expect(reaped.body.deleted.map((d: { id: string }) => d.id)).not.toContain(`cluster:local-spark:${cluster}`);
    expect(canopy.clusterFile(cluster).state).toBe('running');
    expect((await ledger.get(`cluster:local-spark:${cluster}`))?.deletedAt).toBeUndefined();
  });

  it('refuses bad input with the right status and starts nothing', async () => {
    const name = `${prefix}-bad`;
    const malformed = await canopy.api('POST', 'runs', { spec: { name, scenario: 'video', candidates: { classifiers: [] } } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('SPEC.INVALID');
    expect(malformed.body.error.details.problems).toEqual(
      expect.arrayContaining([
        'data.source is required',
        'scenario must be one of "image-classification", "tabular-classification"',
        'candidates.classifiers must NOT have fewer than 1 items',
      ]),
    );
    expect((await canopy.api('POST', 'runs', '{"spec": ')).body.error.code).toBe('REQUEST.BAD_JSON');
    expect((await canopy.api('POST', `pipelines/${name}-unknown/runs`)).status).toBe(404);
    expect((await canopy.api('POST', 'runs', { spec: imageSpec(name, good) }, null)).status).toBe(401);
    const huge = await canopy.api('POST', 'runs', { spec: imageSpec(name, good), padding: 'x'.repeat(300 * 1024) });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('REQUEST.TOO_LARGE');
    expect((await canopy.api('GET', `pipelines/${name}`)).status).toBe(404);
    const { runs } = await stores();
    expect((await runs.listPipelineRuns(name)).items).toEqual([]);
  });
});

describe('training pipeline provisioning failure', () => {
  it('still runs teardown when the cluster cannot be created', async () => {
    const emptyJobs = fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-nojobs-'));
    const canopy = await CanopyUnderTest.start({ CANOPY_JOBS_DIR: emptyJobs });
    try {
      const name = `p-${randomUUID().slice(0, 6)}`;
      await uploadFolder('canopy-landing', `${name}/`, fashionSample());
      const instanceId = await runInline(canopy, imageSpec(name, good));
      const done = await canopy.waitForEnd(name, instanceId);
      expect(done.orchestration.output).toMatchObject({
        pipelineStatus: 'failed',
        tornDown: true,
        error: { code: 'COMPUTE.CREATE_FAILED' },
      });
      expect(done.orchestration.output.error.message).toMatch(/spark-submit.sh/);
      await expectTornDown(canopy, instanceId);
    } finally {
      await canopy.stop();
    }
  });
});
