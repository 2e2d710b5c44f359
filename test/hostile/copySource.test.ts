import { randomUUID } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { blobCopiers } from '../../shared/adapters/azure/blobCopyFactory';
import { AzureBlobCopier } from '../../shared/adapters/azure/blobCopyPager';
import { copyAccounts } from '../../shared/adapters/azure/blobCopySource';
import { loadConfig } from '../../shared/config';
import { testAppSettings, testEndpoints } from '../support/testStack';

// The copy properties (`x-ms-copy-source`) of every copied blob are readable by anyone who can read the blob: a
// signed source URL recorded there would hand out read access to the source for the SAS's lifetime.
describe('copied blobs carry no signed source URL', () => {
  const id = randomUUID().slice(0, 8);
  const service = BlobServiceClient.fromConnectionString(testEndpoints.storageConnectionString);
  const names = ['train/a/1.png', 'train/b/2.png', 'test/a/3.png'];

  beforeAll(async () => {
    const landing = service.getContainerClient(`landing-${id}`);
    await landing.createIfNotExists();
    for (const name of names) await landing.getBlockBlobClient(`in/${name}`).uploadData(Buffer.from(`content of ${name}`));
  });

  async function copyProperties(container: string): Promise<{ name: string; copySource?: string; etag?: string }[]> {
    const found = [];
    for await (const blob of service.getContainerClient(container).listBlobsFlat({ includeCopy: true, includeMetadata: true }))
      found.push({ name: blob.name, copySource: blob.properties.copySource, etag: blob.metadata?.canopysourceetag });
    return found;
  }

  const request = (target: string) => ({
    source: { container: `landing-${id}`, prefix: 'in/' },
    target: { container: target, prefix: 'snapshot/' },
    pageSize: 100,
    concurrency: 4,
  });

  it('copies from the app’s own local storage by its bare URL, synchronously and asynchronously', async () => {
    const cfg = loadConfig(testAppSettings());
    expect(await blobCopiers(cfg)().copyPage(request(`sync-${id}`))).toMatchObject({ copied: 3, failed: 0 });
    const { source, access, target } = copyAccounts(cfg);
    const asyncCopier = new AzureBlobCopier(source, access, target, { syncCopyMaxBytes: 4, pollMs: 20 });
    expect(await asyncCopier.copyPage(request(`async-${id}`))).toMatchObject({ copied: 3, failed: 0 });

    for (const container of [`sync-${id}`, `async-${id}`]) {
      const copied = await copyProperties(container);
      expect(copied.map((c) => c.name).sort()).toEqual(names.map((n) => `snapshot/${n}`).sort());
      for (const blob of copied) {
        expect(blob.etag).toEqual(expect.any(String));
        expect(blob.copySource ?? '').not.toMatch(/sig=/);
      }
    }
    // A second pass finds everything copied: the source ETags kept in metadata still work without the signature.
    expect(await blobCopiers(cfg)().copyPage(request(`sync-${id}`))).toMatchObject({ copied: 0, skipped: 3 });
  });
});
