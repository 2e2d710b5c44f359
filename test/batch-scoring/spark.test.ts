import { stores } from '../support/canopyUnderTest';
import {
  accuracy,
  expectConsistentOutput,
  expectSameAsServer,
  readBatchOutput,
  startBatch,
  uploadTestImages,
  waitForBatch,
  withDeployedModel,
} from './batchScoringFixture';

jest.setTimeout(20 * 60_000);

describe('batch scoring on Spark', () => {
  const deployed = withDeployedModel('bsk');

  it('scores a few hundred images with batch_score into the same page files, and tears its cluster down', async () => {
    const { canopy, model, endpoint } = deployed;
    const prefix = `${model}/test/`;
    const images = await uploadTestImages(prefix, 400, [{ name: 'broken.png', content: Buffer.from('not an image') }]);
    const id = await startBatch(canopy, model, prefix, { via: 'spark', pageSize: 100 });
    const done = await waitForBatch(canopy, id);
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.progress).toMatchObject({ phase: 'done', via: 'spark', pages: { total: 5, done: 5 } });

    const out = await readBatchOutput(done.output);
    expect(out.pageFiles).toHaveLength(5);
    expectConsistentOutput(out, [...images.map((i) => `${prefix}${i.name}`), `${prefix}broken.png`], [`${prefix}broken.png`]);
    expect(out.summary).toMatchObject({ via: 'spark', pages: { total: 5, written: 5, resumed: 0 } });
    expect(accuracy(out, prefix)).toBeGreaterThan(0.5);
    // The same package in onnxruntime for Python (Spark) and for Node (the server): the same answers.
    await expectSameAsServer(
      out,
      endpoint,
      prefix,
      images.filter((_, i) => i % 37 === 3),
      4,
    );

    const { ledger } = await stores();
    const entries = await ledger.listByInstance(id);
    expect(entries).toHaveLength(1);
    expect(entries[0].deletedAt).toEqual(expect.any(String));
  });
});
