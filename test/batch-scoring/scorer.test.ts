import { randomUUID } from 'node:crypto';
import { CanopyUnderTest } from '../support/canopyUnderTest';
import {
  accuracy,
  addDeployment,
  expectConsistentOutput,
  fashionTestImages,
  readBatchOutput,
  registerImageModel,
  scoreDirectly,
  uploadBlobs,
  waitForBatch,
} from './batchScoringFixture';

jest.setTimeout(20 * 60_000);

describe('batch scoring through the scorer', () => {
  let canopy: CanopyUnderTest;
  let endpoint: string;
  const model = `bs-${randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    canopy = await CanopyUnderTest.start();
    endpoint = (await registerImageModel(canopy, model))!;
  });
  afterAll(async () => {
    await canopy?.stop();
  });

  it('scores the 10,000 Fashion-MNIST test images, one row each, far above chance, as the server scores them', async () => {
    const images = fashionTestImages(10_000);
    const prefix = `${model}/test/`;
    // One blob that is not an image: it is a failed row, not a failed run; the marker is no data.
    await uploadBlobs('canopy-batch', prefix, [
      ...images.map((i) => ({ name: i.name, content: i.png })),
      { name: 'broken.png', content: Buffer.from('not an image') },
      { name: '_READY', content: Buffer.alloc(0) },
    ]);
    const started = await canopy.api('POST', `models/${model}/batch-scoring`, {
      source: { container: 'canopy-batch', prefix },
      pageSize: 500,
    });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ model, version: 1, via: 'scorer' });
    const done = await waitForBatch(canopy, started.body.instanceId);
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.progress).toMatchObject({ phase: 'done', pages: { total: 21, done: 21 } });

    const inputs = [...images.map((i) => `${prefix}${i.name}`), `${prefix}broken.png`];
    const out = await readBatchOutput(done.output);
    expect(out.pageFiles).toHaveLength(21);
    expectConsistentOutput(out, inputs, [`${prefix}broken.png`]);
    expect(out.summary.failures).toEqual([{ blob: `${prefix}broken.png`, error: expect.stringMatching(/PNG|JPEG|image/i) }]);
    expect(out.summary).toMatchObject({ model, version: 1, via: 'scorer', pages: { total: 21, written: 21, resumed: 0 } });
    expect(out.summary.seconds.scoring).toBeGreaterThan(0);

    const acc = accuracy(out, prefix);
    expect(acc).toBeGreaterThan(0.5);

    const sample = images.filter((_, i) => i % 499 === 7);
    const direct = await scoreDirectly(
      endpoint,
      sample.map((i) => i.png),
    );
    sample.forEach((image, k) => {
      const row = out.rows.get(`${prefix}${image.name}`)!;
      expect(row[1]).toBe(direct[k].label);
      // The server batches differently from the run's chunks: equal up to float rounding.
      row.slice(2, 12).forEach((p, c) => expect(Number(p)).toBeCloseTo(direct[k].probabilities[out.summary.labels[c]], 5));
    });
  });

  it('moves to another deployment when the preferred one is down', async () => {
    await addDeployment(model, `canopy-${model}-dead`, 'http://127.0.0.1:9', 100);
    await addDeployment(model, `canopy-${model}-v1`, endpoint, 0);
    const images = fashionTestImages(60);
    const prefix = `${model}/failover/`;
    await uploadBlobs(
      'canopy-batch',
      prefix,
      images.map((i) => ({ name: i.name, content: i.png })),
    );
    const started = await canopy.api('POST', `models/${model}/batch-scoring`, {
      source: { container: 'canopy-batch', prefix },
      pageSize: 25,
    });
    expect(started.status).toBe(202);
    const done = await waitForBatch(canopy, started.body.instanceId);
    expect(done.runtimeStatus).toBe('Completed');
    const out = await readBatchOutput(done.output);
    expectConsistentOutput(
      out,
      images.map((i) => `${prefix}${i.name}`),
    );
  });
});
