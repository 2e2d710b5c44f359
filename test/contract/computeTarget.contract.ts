import { randomUUID } from 'node:crypto';
import { BlobStore } from '../../shared/ports/blobStore';
import { BatchRequest, BatchStatus, ComputeTarget } from '../../shared/ports/computeTarget';

export interface ComputeContractSubject {
  target: ComputeTarget;
  /** The app's storage, where batch inputs are read from and outputs land. */
  data: BlobStore;
  /** Uploads a small image data set (`train/<label>/…`, `test/<label>/…`) under `prefix` of `container`. */
  uploadImages(container: string, prefix: string): Promise<void>;
  /** Called just before the batch that must die is submitted (a fake queues the death; real Spark fails on its own). */
  beforeFailingBatch?(): void;
  /** Called just before a grid batch whose candidate `failing` must fail alone is submitted (a fake queues it). */
  beforeGridBatch?(failing: string): void;
  close?(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs: number): Promise<T[]> {
  const seen: T[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    seen.push(value);
    if (done(value)) return seen;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms; last ${JSON.stringify(value)}`);
    await sleep(300);
  }
}

/**
 * The ComputeTarget contract: what the training pipeline relies on, for every target. Clusters are created
 * idempotently and polled to `running`; a batch runs to `success` with its outputs where `outputRef` says; the same
 * batch name submitted twice is one batch; a failing batch is `dead` with the end of its log; a batch can be killed;
 * a deleted cluster ends `deleted` (or missing).
 */
export function describeComputeTargetContract(title: string, subject: () => Promise<ComputeContractSubject>, timeoutMs = 300_000): void {
  describe(`ComputeTarget contract: ${title}`, () => {
    let s: ComputeContractSubject;
    const id = randomUUID().slice(0, 6);
    const cluster = `canopy-contract-${id}`;
    const container = `contract-compute-${id}`;
    const request = (name: string, classifier = 'logistic_regression'): BatchRequest => ({
      name,
      job: 'image_train',
      input: { container, prefix: 'input/' },
      output: { container, prefix: `output/${name}/` },
      featurizer: 'squeezenet1.1',
      args: ['--classifier', classifier, '--params', JSON.stringify({ regParam: 0.01, maxIter: 5 }), '--seed', '42'],
    });
    const batchState = (batchId: string) => async (): Promise<BatchStatus | undefined> => s.target.getBatch(cluster, batchId);

    beforeAll(async () => {
      s = await subject();
      await s.data.ensureContainer(container);
      await s.uploadImages(container, 'input/');
    }, timeoutMs);
    afterAll(async () => {
      await s?.close?.();
    });

    it(
      'creates a cluster that becomes running; a second create changes nothing',
      async () => {
        const tags = { 'canopy-pipeline': 'contract', 'canopy-instance': `contract--${id}`, 'canopy-expires-at': new Date().toISOString() };
        const cluster1 = { name: cluster, headVmSize: 'Standard_D12_v2', workerVmSize: 'Standard_D4_v2', workerNodes: 2, tags };
        await s.target.beginCreateCluster(cluster1);
        await s.target.beginCreateCluster(cluster1);
        const states = await until(
          () => s.target.getCluster(cluster),
          (c) => c?.state === 'running',
          'the cluster running',
          timeoutMs,
        );
        expect(states.every((c) => c && ['creating', 'running'].includes(c.state))).toBe(true);
      },
      timeoutMs,
    );

    it(
      'runs a batch to success with its outputs at outputRef; the same name submitted again is the same batch',
      async () => {
        const batch = request('cand-ok');
        const { batchId } = await s.target.submitBatch(cluster, batch);
        expect((await s.target.submitBatch(cluster, batch)).batchId).toBe(batchId);
        const states = await until(
          batchState(batchId),
          (b) => b?.state !== 'starting' && b?.state !== 'running',
          'the batch ending',
          timeoutMs,
        );
        expect(states[states.length - 1]).toEqual({ state: 'success' });
        const metrics = JSON.parse(String(await s.data.get(s.target.outputRef(batch, 'metrics.json')))) as { accuracy: number };
        expect(metrics.accuracy).toBeGreaterThan(0);
        expect(await s.data.getInfo(s.target.outputRef(batch, '_SUCCESS'))).toBeDefined();
        expect((await s.target.submitBatch(cluster, batch)).batchId).toBe(batchId);
      },
      timeoutMs,
    );

    it(
      "runs a grid batch whose candidates' parts each reach outputRef once finished, a failing one alone",
      async () => {
        const grid = [
          { id: 'good', classifier: 'logistic_regression', params: { regParam: 0.01, maxIter: 5 } },
          { id: 'bad', classifier: 'logistic_regression', params: { regParam: -1 } },
        ];
        const batch = { ...request('grid-1'), args: ['--grid', JSON.stringify(grid), '--parallelism', '2', '--seed', '42'] };
        s.beforeGridBatch?.('bad');
        const { batchId } = await s.target.submitBatch(cluster, batch);
        expect(await s.target.getBatchPart(cluster, batchId, 'no-such-candidate')).toBeUndefined();
        const parts = await until(
          async () => {
            await s.target.getBatch(cluster, batchId);
            return Promise.all(grid.map((c) => s.target.getBatchPart(cluster, batchId, c.id)));
          },
          (states) => states.every((state) => state !== undefined),
          'both candidates finished',
          timeoutMs,
        );
        expect(parts[parts.length - 1]).toEqual(['success', 'failed']);
        const metrics = JSON.parse(String(await s.data.get(s.target.outputRef(batch, 'good/metrics.json')))) as { accuracy: number };
        expect(metrics.accuracy).toBeGreaterThan(0);
        expect(await s.data.getInfo(s.target.outputRef(batch, 'good/_SUCCESS'))).toBeDefined();
        const failed = JSON.parse(String(await s.data.get(s.target.outputRef(batch, 'bad/_FAILED')))) as { message: string };
        expect(failed.message).toEqual(expect.any(String));
        expect(await s.data.getInfo(s.target.outputRef(batch, 'bad/_SUCCESS'))).toBeUndefined();
        const states = await until(batchState(batchId), (b) => b?.state === 'success', 'the grid batch ending', timeoutMs);
        expect(states[states.length - 1]).toEqual({ state: 'success' });
      },
      timeoutMs,
    );

    it(
      'reports a failing batch as dead with the end of its log',
      async () => {
        s.beforeFailingBatch?.();
        const { batchId } = await s.target.submitBatch(cluster, request('cand-bad', 'no_such_classifier'));
        const states = await until(
          batchState(batchId),
          (b) => b?.state === 'dead' || b?.state === 'success',
          'the batch ending',
          timeoutMs,
        );
        const last = states[states.length - 1];
        expect(last?.state).toBe('dead');
        expect(last?.log).toContain('no_such_classifier');
      },
      timeoutMs,
    );

    it(
      'kills a batch',
      async () => {
        const { batchId } = await s.target.submitBatch(cluster, request('cand-kill'));
        await s.target.killBatch(cluster, batchId);
        await s.target.killBatch(cluster, batchId);
        await until(batchState(batchId), (b) => b?.state === 'killed', 'the batch killed', timeoutMs);
      },
      timeoutMs,
    );

    it(
      'deletes the cluster; a second delete is fine',
      async () => {
        await s.target.beginDeleteCluster(cluster);
        await s.target.beginDeleteCluster(cluster);
        const states = await until(
          async () => (await s.target.getCluster(cluster))?.state ?? 'deleted',
          (state) => state === 'deleted',
          'the cluster deleted',
          timeoutMs,
        );
        expect(states.every((state) => ['running', 'deleting', 'deleted'].includes(state))).toBe(true);
      },
      timeoutMs,
    );
  });
}
