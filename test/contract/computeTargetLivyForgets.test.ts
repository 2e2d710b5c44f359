import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { AzureBlobStore } from '../../shared/adapters/azure/azureBlobStore';
import { hdinsightComputeTarget } from '../../shared/composition';
import { loadConfig } from '../../shared/config';
import { BatchRequest, BatchStatus, ComputeTarget } from '../../shared/ports/computeTarget';
import { AzureFakes, startAzureFakes } from '../support/azureFakes';
import { repoRoot } from '../support/canopyUnderTest';
import { testAppSettings, testEndpoints } from '../support/testStack';

// Livy forgets an ended batch after livy.server.session.state-retain.sec (here 0: before the next poll) and may lose
// the answer to a submit: the HDInsight target reads the outcome from what the job left in the cluster storage and
// finds a submission by its claim, not by Livy's `name`.
const data = new AzureBlobStore(BlobServiceClient.fromConnectionString(testEndpoints.storageConnectionString));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const cluster = 'canopy-forgets';
const container = 'livy-forgets';

describe('HDInsight target when Livy forgets batches (fakes)', () => {
  let fakes: AzureFakes;
  let target: ComputeTarget;
  const request = (name: string, args: string[] = []): BatchRequest => ({
    name,
    job: 'image_train',
    input: { container, prefix: 'input/' },
    output: { container, prefix: `output/${name}/` },
    featurizer: 'squeezenet1.1',
    args: ['--classifier', 'logistic_regression', ...args],
  });

  async function ended(batchId: string): Promise<BatchStatus | undefined> {
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(200)) {
      const status = await target.getBatch(cluster, batchId);
      if (status?.state !== 'starting' && status?.state !== 'running') return status;
    }
    throw new Error(`batch ${batchId} did not end`);
  }

  /** Livy answered 404 for the batch: the outcome cannot have come from Livy. */
  const forgotten = (batchId: string) =>
    expect(fakes.livy.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/batches/${batchId}`)).map((r) => r.status)).toContain(
      404,
    );

  beforeAll(async () => {
    fakes = await startAzureFakes({ runner: 'recorded', provisionMs: 100 });
    fakes.livy.retainFinishedBatchesFor(0);
    const cfg = loadConfig({ ...testAppSettings(), ...fakes.env, CANOPY_MODELS_DIR: path.join(repoRoot, '.canopy', 'models') });
    target = hdinsightComputeTarget(cfg, fakes.azure, data);
    await data.ensureContainer(container);
    await data.create({ container, name: 'input/train/a/1.png' }, 'not really an image');
    await target.beginCreateCluster({
      name: cluster,
      headVmSize: 'Standard_D12_v2',
      workerVmSize: 'Standard_D4_v2',
      workerNodes: 1,
      tags: { 'canopy-instance': 'forgets' },
    });
    while ((await target.getCluster(cluster))?.state !== 'running') await sleep(100);
  });
  afterAll(async () => {
    await fakes?.close();
  });

  it('records a batch forgotten before its next poll as the success it was, with its outputs brought back', async () => {
    const batch = request('forgotten-ok');
    const { batchId } = await target.submitBatch(cluster, batch);
    expect(await ended(batchId)).toEqual({ state: 'success' });
    forgotten(batchId);
    const metrics = JSON.parse(String(await data.get(target.outputRef(batch, 'metrics.json')))) as { accuracy: number };
    expect(metrics.accuracy).toBeGreaterThan(0);
    expect(await data.getInfo(target.outputRef(batch, '_SUCCESS'))).toBeDefined();
    expect((await target.submitBatch(cluster, batch)).batchId).toBe(batchId);
  });

  it('fails a forgotten batch whose output is half-written, naming the missing _SUCCESS', async () => {
    fakes.recorded?.next({ files: { 'metrics.json': '{"accuracy": 0.5}' } });
    const batch = request('forgotten-half');
    const { batchId } = await target.submitBatch(cluster, batch);
    const status = await ended(batchId);
    forgotten(batchId);
    expect(status?.state).toBe('dead');
    expect(status?.log).toContain('half-written');
    expect(status?.log).toContain('_SUCCESS is missing');
    expect(await data.getInfo(target.outputRef(batch, 'metrics.json'))).toBeUndefined();
  });

  it("resolves a forgotten grid batch from its candidates' _SUCCESS and _FAILED", async () => {
    fakes.recorded?.next({ failedCandidates: ['bad'] });
    const grid = [{ id: 'good' }, { id: 'bad' }];
    const { batchId } = await target.submitBatch(cluster, request('forgotten-grid', ['--grid', JSON.stringify(grid)]));
    expect(await ended(batchId)).toEqual({ state: 'success' });
    forgotten(batchId);
    expect(await target.getBatchPart(cluster, batchId, 'good')).toBe('success');
    expect(await target.getBatchPart(cluster, batchId, 'bad')).toBe('failed');
  });

  it('reads a forgotten grid batch whose every candidate failed as dead', async () => {
    fakes.recorded?.next({ failedCandidates: ['a', 'b'] });
    const grid = [{ id: 'a' }, { id: 'b' }];
    const { batchId } = await target.submitBatch(cluster, request('forgotten-grid-bad', ['--grid', JSON.stringify(grid)]));
    const status = await ended(batchId);
    expect(status?.state).toBe('dead');
    expect(status?.log).toContain('every candidate wrote _FAILED');
  });

  it('still reads a killed batch, forgotten at once after DELETE, as killed; a new submit of it runs anew', async () => {
    fakes.recorded!.hold = true;
    const batch = request('killed');
    const { batchId } = await target.submitBatch(cluster, batch);
    await target.killBatch(cluster, batchId);
    fakes.recorded!.hold = false;
    expect(await target.getBatch(cluster, batchId)).toEqual({ state: 'killed' });
    const again = await target.submitBatch(cluster, batch);
    expect(again.batchId).not.toBe(batchId);
  });

  it('submits once when the answer to a submit is lost and Livy returns no names', async () => {
    fakes.livy.answerWithoutNames();
    fakes.livy.loseNextSubmitAnswer();
    const batch = request('lost-answer');
    const before = (await fakes.livy.submitted(cluster)).length;
    await expect(target.submitBatch(cluster, batch)).rejects.toMatchObject({ transient: true });
    const { batchId } = await target.submitBatch(cluster, batch);
    expect((await target.submitBatch(cluster, batch)).batchId).toBe(batchId);
    const submitted = await fakes.livy.submitted(cluster);
    expect(submitted.length).toBe(before + 1);
    expect(String(submitted[submitted.length - 1].id)).toBe(batchId);
    expect(await ended(batchId)).toEqual({ state: 'success' });
  });

  it('never hands an ended batch of the same name to a submission for another output', async () => {
    const first = request('same-name');
    const { batchId } = await target.submitBatch(cluster, first);
    expect(await ended(batchId)).toEqual({ state: 'success' });
    const other = { ...first, output: { container, prefix: 'elsewhere/same-name/' } };
    const { batchId: otherId } = await target.submitBatch(cluster, other);
    expect(otherId).not.toBe(batchId);
    expect(await ended(otherId)).toEqual({ state: 'success' });
    expect(await data.getInfo(target.outputRef(other, '_SUCCESS'))).toBeDefined();
  });
});
