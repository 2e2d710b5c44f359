import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { blobService, CanopyUnderTest, fashionSample, imageSpec, stores, uploadFolder } from '../support/canopyUnderTest';
import { Json } from '../support/json';

/** What the dashboard's browser tests, screenshots and benchmark look at: one real pipeline run and what it left. */
export interface DashboardWorld {
  canopy: CanopyUnderTest;
  pipeline: string;
  instanceId: string;
  batchId: string;
  data: string;
  stop(): Promise<void>;
}

async function waitForBatch(canopy: CanopyUnderTest, id: string): Promise<Json> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const view = (await canopy.api('GET', `batch-scoring/${id}`)).body;
    if (['Completed', 'Failed', 'Terminated'].includes(view?.runtimeStatus)) return view;
    if (Date.now() > deadline) throw new Error(`batch scoring ${id} did not end: ${JSON.stringify(view)}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * Runs a small pipeline for real (two candidates, one failing, on a Fashion-MNIST sample), scores its test images in a
 * batch, and registers a second version of the model on the same model server, so promote, roll back and the traffic
 * split have two deployments to work with.
 */
export async function startDashboardWorld(): Promise<DashboardWorld> {
  const data = fashionSample();
  const canopy = await CanopyUnderTest.start();
  const pipeline = `dash-${randomUUID().slice(0, 8)}`;
  try {
    const spec = imageSpec(pipeline, [
      { type: 'logistic_regression', grid: { regParam: [0.01], maxIter: [40] } },
      { type: 'logistic_regression', grid: { regParam: [-1] } },
    ]);
    const registered = await canopy.api('POST', 'pipelines', spec);
    if (registered.status !== 201) throw new Error(`register: ${JSON.stringify(registered.body)}`);
    await uploadFolder('canopy-landing', `${pipeline}/`, data);
    const started = await canopy.api('POST', `pipelines/${pipeline}/runs`, { dataVersion: 'dashboard-1' });
    if (started.status !== 202) throw new Error(`start: ${JSON.stringify(started.body)}`);
    const instanceId = started.body.instanceId as string;
    const done = await canopy.waitForEnd(pipeline, instanceId);
    if (done.orchestration.runtimeStatus !== 'Completed' || done.orchestration.output?.pipelineStatus !== 'succeeded')
      throw new Error(`the pipeline run did not succeed: ${JSON.stringify(done.orchestration)}\n${canopy.host.output().slice(-4000)}`);

    const batch = await canopy.api('POST', `models/${pipeline}/batch-scoring`, {
      source: { container: 'canopy-landing', prefix: `${pipeline}/test/` },
    });
    if (batch.status !== 202) throw new Error(`batch scoring: ${JSON.stringify(batch.body)}`);
    const batchId = batch.body.instanceId as string;
    await waitForBatch(canopy, batchId);

    // A few requests through the app's scoring route, so the model's scoring charts have data.
    const image = path.join(data, 'test', fs.readdirSync(path.join(data, 'test')).sort()[0]);
    const sample = fs.readFileSync(path.join(image, fs.readdirSync(image).sort()[0])).toString('base64');
    for (let i = 0; i < 5; i++) await canopy.api('POST', `models/${pipeline}/score`, { images: [sample] });

    const { registry } = await stores();
    const [v1] = await registry.listVersions(pipeline);
    const [deployment] = await registry.listDeployments(pipeline);
    const v2 = await registry.createVersion(
      pipeline,
      { packageUri: v1.packageUri, metrics: v1.metrics, lineage: { ...v1.lineage, instanceId: `${instanceId}-copy` } },
      new Date(),
    );
    const now = new Date().toISOString();
    await registry.upsertDeployment({
      ...deployment,
      name: `${deployment.name}-second`,
      version: v2.version,
      trafficPercent: 0,
      state: 'healthy',
      createdAt: now,
      updatedAt: now,
    });
    return {
      canopy,
      pipeline,
      instanceId,
      batchId,
      data,
      stop: async () => {
        await canopy.stop();
        await blobService.getContainerClient('canopy-landing').getBlockBlobClient(`${pipeline}/_READY`).deleteIfExists();
      },
    };
  } catch (err) {
    await canopy.stop();
    throw err;
  }
}
