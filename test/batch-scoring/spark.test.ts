import { randomUUID } from 'node:crypto';
import { CanopyUnderTest, stores } from '../support/canopyUnderTest';
import {
  accuracy,
  expectConsistentOutput,
  fashionTestImages,
  readBatchOutput,
  registerImageModel,
  scoreDirectly,
  uploadBlobs,
  waitForBatch,
} from './batchScoringFixture';

jest.setTimeout(20 * 60_000);

describe('batch scoring on Spark', () => {
  let canopy: CanopyUnderTest;
  let endpoint: string;
  const model = `bsk-${randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    canopy = await CanopyUnderTest.start();
    endpoint = (await registerImageModel(canopy, model))!;
  });
  afterAll(async () => {
    await canopy?.stop();
  });

  it('scores a few hundred images with batch_score into the same page files, and tears its cluster down', async () => {
    const images = fashionTestImages(400);
    const prefix = `${model}/test/`;
    await uploadBlobs('canopy-batch', prefix, [
      ...images.map((i) => ({ name: i.name, content: i.png })),
      { name: 'broken.png', content: Buffer.from('not an image') },
    ]);
    const started = await canopy.api('POST', `models/${model}/batch-scoring`, {
      source: { container: 'canopy-batch', prefix },
      via: 'spark',
      pageSize: 100,
    });
    expect(started.status).toBe(202);
    const begin = Date.now();
    const done = await waitForBatch(canopy, started.body.instanceId);
    const wallSeconds = (Date.now() - begin) / 1000;
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.progress).toMatchObject({ phase: 'done', via: 'spark', pages: { total: 5, done: 5 } });

    const out = await readBatchOutput(done.output);
    expect(out.pageFiles).toHaveLength(5);
    expectConsistentOutput(out, [...images.map((i) => `${prefix}${i.name}`), `${prefix}broken.png`], [`${prefix}broken.png`]);
    expect(out.summary).toMatchObject({ via: 'spark', pages: { total: 5, written: 5, resumed: 0 } });
    expect(accuracy(out, prefix)).toBeGreaterThan(0.5);

    // The same package in onnxruntime for Python (Spark) and for Node (the server): the same answers.
    const sample = images.filter((_, i) => i % 37 === 3);
    const direct = await scoreDirectly(
      endpoint,
      sample.map((i) => i.png),
    );
    sample.forEach((image, k) => {
      const row = out.rows.get(`${prefix}${image.name}`)!;
      expect(row[1]).toBe(direct[k].label);
      row.slice(2, 12).forEach((p, c) => expect(Number(p)).toBeCloseTo(direct[k].probabilities[out.summary.labels[c]], 4));
    });

    const { ledger } = await stores();
    const entries = await ledger.listByInstance(started.body.instanceId);
    expect(entries).toHaveLength(1);
    expect(entries[0].deletedAt).toEqual(expect.any(String));
    console.log(
      `batch scoring via spark: ${out.summary.scored} images in ${out.summary.seconds.scoring} s of scoring (${wallSeconds.toFixed(1)} s wall), ` +
        `${(out.summary.scored / out.summary.seconds.scoring).toFixed(1)} images/s`,
    );
  });
});
