import {
  accuracy,
  addDeployment,
  expectConsistentOutput,
  expectSameAsServer,
  readBatchOutput,
  startBatch,
  uploadTestImages,
  waitForBatch,
  withDeployedModel,
} from './batchScoringFixture';

jest.setTimeout(20 * 60_000);

describe('batch scoring through the scorer', () => {
  const deployed = withDeployedModel('bs');

  it('scores the 10,000 Fashion-MNIST test images, one row each, far above chance, as the server scores them', async () => {
    const { canopy, model, endpoint } = deployed;
    const prefix = `${model}/test/`;
    // One blob that is not an image: it is a failed row, not a failed run; the marker is no data.
    const images = await uploadTestImages(prefix, 10_000, [
      { name: 'broken.png', content: Buffer.from('not an image') },
      { name: '_READY', content: Buffer.alloc(0) },
    ]);
    const done = await waitForBatch(canopy, await startBatch(canopy, model, prefix, { pageSize: 500 }));
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.progress).toMatchObject({ phase: 'done', pages: { total: 21, done: 21 } });

    const out = await readBatchOutput(done.output);
    expect(out.pageFiles).toHaveLength(21);
    expectConsistentOutput(out, [...images.map((i) => `${prefix}${i.name}`), `${prefix}broken.png`], [`${prefix}broken.png`]);
    expect(out.summary.failures).toEqual([{ blob: `${prefix}broken.png`, error: expect.stringMatching(/PNG|JPEG|image/i) }]);
    expect(out.summary).toMatchObject({ model, version: 1, via: 'scorer', pages: { total: 21, written: 21, resumed: 0 } });
    expect(out.summary.seconds.scoring).toBeGreaterThan(0);
    expect(accuracy(out, prefix)).toBeGreaterThan(0.5);
    // The server batches differently from the run's chunks: equal up to float rounding.
    await expectSameAsServer(
      out,
      endpoint,
      prefix,
      images.filter((_, i) => i % 499 === 7),
      5,
    );
  });

  it('moves to another deployment when the preferred one is down', async () => {
    const { canopy, model, endpoint } = deployed;
    await addDeployment(model, `canopy-${model}-dead`, 'http://127.0.0.1:9', 100);
    await addDeployment(model, `canopy-${model}-v1`, endpoint, 0);
    const prefix = `${model}/failover/`;
    const images = await uploadTestImages(prefix, 60);
    const done = await waitForBatch(canopy, await startBatch(canopy, model, prefix, { pageSize: 25 }));
    expect(done.runtimeStatus).toBe('Completed');
    expectConsistentOutput(
      await readBatchOutput(done.output),
      images.map((i) => `${prefix}${i.name}`),
    );
  });
});
