import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { clusterName, pipelineInstanceId } from '../../shared/domain/naming';
import { blobService, CanopyUnderTest, fashionSample, imageSpec, stores, uploadFolder } from '../support/canopyUnderTest';
import { Json } from '../support/json';

const pipeline = `e2e-${randomUUID().slice(0, 8)}`;

jest.setTimeout(15 * 60_000);

describe('training pipeline, end to end on the local stack', () => {
  let canopy: CanopyUnderTest;
  let data: string;
  beforeAll(async () => {
    data = fashionSample();
    canopy = await CanopyUnderTest.start();
  });
  afterAll(async () => {
    await canopy?.stop();
    // A later test's devhost has a new host id, hence no receipts: a marker left here would start this
    // pipeline again there (the second marker's data version never ran).
    await blobService.getContainerClient('canopy-landing').getBlockBlobClient(`${pipeline}/_READY`).deleteIfExists();
  });

  it('trains the grid after a marker upload, deploys the best, tears down, and records everything in Cosmos', async () => {
    const spec = imageSpec(pipeline, [
      { type: 'logistic_regression', grid: { regParam: [0.01], maxIter: [50] } },
      { type: 'random_forest', grid: { numTrees: [20], maxDepth: [6] } },
      { type: 'linear_svm', grid: { regParam: [0.01], maxIter: [30] } },
      { type: 'logistic_regression', grid: { regParam: [-1] } },
    ]);
    const registered = await canopy.api('POST', 'pipelines', spec);
    expect(registered.status).toBe(201);
    expect(registered.body.version).toBe(1);

    const uploaded = await uploadFolder('canopy-landing', `${pipeline}/`, data);
    expect(uploaded).toBeGreaterThan(300);
    // Markers and job flags such as `_SUCCESS` are not data: the copy leaves them out.
    const markers = fs.readdirSync(data).filter((f) => f.startsWith('_')).length;
    const marker = await blobService.getContainerClient('canopy-landing').getBlockBlobClient(`${pipeline}/_READY`).upload('go', 2);
    const instanceId = pipelineInstanceId(pipeline, `blob:${String(marker.etag).replace(/"/g, '')}`);

    const training = await canopy.waitFor(
      pipeline,
      instanceId,
      (v) => v.orchestration?.customStatus?.stage === 'train' && v.orchestration.customStatus.candidates.running > 0,
    );
    expect(training.orchestration.customStatus).toMatchObject({
      candidates: { total: 4 },
      copy: { copied: uploaded - markers, failed: 0 },
    });
    expect(training.orchestration.customStatus.elapsedSeconds).toBeGreaterThan(0);

    // While it runs: an HTTP start is refused naming the run, and a new marker starts nothing.
    const second = await canopy.api('POST', `pipelines/${pipeline}/runs`, {});
    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({ code: 'RUN.ALREADY_RUNNING', details: { instanceId } });
    const again = await blobService.getContainerClient('canopy-landing').getBlockBlobClient(`${pipeline}/_READY`).upload('again', 5);
    // The marker's own message (the 409 above says "already running" too): this marker was handled and started nothing.
    const againEtag = String(again.etag).replace(/"/g, '');
    await canopy.host.waitForOutput(
      new RegExp(`pipeline ${pipeline} is already running as ${instanceId}; marker ${againEtag} starts nothing`),
    );

    const done = await canopy.waitForEnd(pipeline, instanceId);
    const output: Json = done.orchestration.output;
    expect(done.orchestration.runtimeStatus).toBe('Completed');
    expect(output).toMatchObject({
      pipelineStatus: 'succeeded',
      candidates: { total: 4, succeeded: 3, failed: 1 },
      tornDown: true,
      decision: { promoted: true, modelVersion: 1 },
    });
    expect(Object.keys(output.stageSeconds)).toEqual(
      expect.arrayContaining(['validate', 'provision', 'copy', 'train', 'select', 'register', 'deploy', 'teardown']),
    );

    const succeeded = done.candidates.filter((c: Json) => c.status === 'succeeded');
    const bestAccuracy = Math.max(...succeeded.map((c: Json) => c.metrics.accuracy));
    expect(output.best.value).toBe(bestAccuracy);
    expect(succeeded.find((c: Json) => c.candidateId === output.best.candidateId).metrics.accuracy).toBe(bestAccuracy);
    const failed = done.candidates.find((c: Json) => c.status === 'failed');
    expect(failed.params).toEqual({ regParam: -1 });
    // The featurizer's grid trained in one application; its bad candidate failed alone, with its own log.
    expect(failed.error.code).toBe('TRAIN.CANDIDATE_FAILED');
    expect(failed.error.message).toMatch(/regParam=-1 must be >= 0/);
    expect(fs.readdirSync(path.join(canopy.stateDir, 'compute', clusterName(instanceId), 'batches'))).toEqual(['grid-squeezenet11']);
    for (const c of succeeded as Json[]) expect(Object.keys(c.metrics.timings).sort()).toEqual(['evaluate', 'featurize', 'fit', 'write']);

    // The deployed model answers, with one of the dataset's labels.
    const labels = fs.readdirSync(path.join(data, 'test')).sort();
    const sampleLabel = labels[3];
    const sample = fs.readdirSync(path.join(data, 'test', sampleLabel))[0];
    const scored = await fetch(`${output.deployed.endpoint}/score`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ images: [fs.readFileSync(path.join(data, 'test', sampleLabel, sample)).toString('base64')] }),
    });
    expect(scored.status).toBe(200);
    const prediction = (await scored.json()) as Json;
    expect(labels).toContain(prediction.predictions[0].label);
    expect(prediction.version).toBe('1');

    // Torn down: the cluster is gone and its ledger entry closed.
    const cluster = clusterName(instanceId);
    expect(canopy.clusterFile(cluster).state).toBe('deleted');
    const { runs, registry, ledger } = await stores();
    expect((await ledger.get(`cluster:local-spark:${cluster}`))?.deletedAt).toBeDefined();

    // Run history, model lineage and the deployment, all in Cosmos.
    const record = await runs.getPipelineRun(pipeline, instanceId);
    expect(record).toMatchObject({ status: 'succeeded', trigger: 'blob', specVersion: 1, tornDown: true, decision: { promoted: true } });
    expect(record?.decision?.reason).toMatch(/no production model yet/);
    const candidateRuns = await runs.listCandidateRuns(pipeline, instanceId);
    expect(candidateRuns).toHaveLength(4);
    for (const c of candidateRuns.filter((x) => x.status === 'succeeded')) {
      expect(c.metrics?.confusionMatrix).toBeDefined();
      expect(c.durationSeconds).toBeGreaterThan(0);
      expect(c.artifacts?.model).toMatch(/\/model\/$/);
    }
    const versions = await registry.listVersions(pipeline);
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({
      version: 1,
      stage: 'production',
      lineage: { instanceId, specVersion: 1, candidateId: output.best.candidateId },
    });
    expect(versions[0].lineage.jobCodeSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(versions[0].lineage.dataSnapshot).toContain(instanceId);
    const deployments = await registry.listDeployments(pipeline);
    expect(deployments).toEqual([
      expect.objectContaining({ version: 1, state: 'healthy', trafficPercent: 100, endpoint: output.deployed.endpoint }),
    ]);

    // The data version that ran is not run again (that would replace its history): 409 naming the run.
    const markerVersion = `blob:${String(marker.etag).replace(/"/g, '')}`;
    const rerun = await canopy.api('POST', `pipelines/${pipeline}/runs`, { dataVersion: markerVersion });
    expect(rerun.status).toBe(409);
    expect(rerun.body.error).toMatchObject({
      code: 'RUN.DATA_VERSION_ALREADY_RAN',
      details: { instanceId, runtimeStatus: 'Completed' },
    });

    // Only the one run exists.
    expect((await runs.listPipelineRuns(pipeline)).items.map((r) => r.instanceId)).toEqual([instanceId]);
    const board = await canopy.api('GET', `pipelines/${pipeline}/leaderboard`);
    expect(board.body.leaderboard.map((r: Json) => r.accuracy)).toEqual(
      [...succeeded.map((c: Json) => c.metrics.accuracy)].sort((a: number, b: number) => b - a),
    );
  });
});
