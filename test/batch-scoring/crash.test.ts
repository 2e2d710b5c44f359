import { randomUUID } from 'node:crypto';
import { blobService, CanopyUnderTest, stores } from '../support/canopyUnderTest';
import {
  expectConsistentOutput,
  readBatchOutput,
  RecordingProxy,
  registerImageModel,
  startBatch,
  uploadTestImages,
  waitForBatch,
} from './batchScoringFixture';

jest.setTimeout(20 * 60_000);

async function pageEtags(output: { container: string; prefix: string }): Promise<Map<string, string>> {
  const etags = new Map<string, string>();
  for await (const blob of blobService.getContainerClient(output.container).listBlobsFlat({ prefix: `${output.prefix}predictions/` }))
    etags.set(blob.name, blob.properties.etag!);
  return etags;
}

describe('batch scoring across a host crash', () => {
  it('resumes after kill -9 and never scores a page that was written before the crash', async () => {
    const canopy = await CanopyUnderTest.start();
    const model = `bsc-${randomUUID().slice(0, 8)}`;
    let proxy: RecordingProxy | undefined;
    try {
      const endpoint = (await registerImageModel(canopy, model))!;
      // Every request goes through a recorder, so what each page cost is counted outside the host.
      proxy = await RecordingProxy.start(endpoint);
      const { registry } = await stores();
      const deployment = (await registry.listDeployments(model))[0];
      await registry.upsertDeployment({ ...deployment, endpoint: proxy.endpoint });

      const prefix = `${model}/test/`;
      const images = await uploadTestImages(prefix, 2000);
      const id = await startBatch(canopy, model, prefix, { pageSize: 100, concurrency: 2 });
      const output = (await canopy.api('GET', `batch-scoring/${id}`)).body.output;

      await waitForBatch(canopy, id, (v) => v.progress?.pages?.done >= 4);
      await canopy.host.kill();
      const crashedAt = Date.now();
      const writtenBefore = await pageEtags(output);
      expect(writtenBefore.size).toBeGreaterThanOrEqual(4);
      expect(writtenBefore.size).toBeLessThan(20);
      await canopy.restart();

      const done = await waitForBatch(canopy, id);
      expect(done.runtimeStatus).toBe('Completed');
      const out = await readBatchOutput(output);
      expectConsistentOutput(
        out,
        images.map((i) => `${prefix}${i.name}`),
      );
      expect(out.pageFiles).toHaveLength(20);

      // Pages written before the crash: not one request after it, and their files untouched.
      const after = proxy.imagesPerPage(crashedAt);
      const pageOf = (name: string) => Number(/page-(\d+)\.csv$/.exec(name)![1]);
      const etagsNow = await pageEtags(output);
      for (const [name, etag] of writtenBefore) {
        expect(after.get(pageOf(name)) ?? 0).toBe(0);
        expect(etagsNow.get(name)).toBe(etag);
      }
      // Each of them was scored exactly once: as many images posted as the page holds.
      const all = proxy.imagesPerPage();
      for (const name of writtenBefore.keys()) expect(all.get(pageOf(name))).toBe(100);
      // The rest were scored once after the restart (what the crash interrupted was lost, never written).
      for (let page = 0; page < 20; page++) {
        if ([...writtenBefore.keys()].some((name) => pageOf(name) === page)) continue;
        expect(after.get(page)).toBe(100);
      }
    } finally {
      await proxy?.stop();
      await canopy.stop();
    }
  });
});
