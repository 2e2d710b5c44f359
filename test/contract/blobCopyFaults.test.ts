import { randomUUID } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { AzureBlobCopier } from '../../shared/adapters/azure/blobCopyPager';
import { sharedKeySigner } from '../../shared/adapters/azure/blobCopySource';
import { BlobFake } from '../../devhost/azureFakes/blobFake';
import { CopyPageRequest } from '../../shared/ports/blobCopier';
import { testEndpoints } from '../support/testStack';

// What Azure Storage does and Azurite never does, injected by the blob fake: throttling, slow and failed copies.
describe('AzureBlobCopier against the blob fake', () => {
  let fake: BlobFake;
  let service: BlobServiceClient;
  let sleeps: number[];
  let copier: AzureBlobCopier;
  const run = randomUUID().slice(0, 8);
  const source = `faults-src-${run}`;
  const target = `faults-dst-${run}`;
  const names = ['a.bin', 'b.bin', 'c.bin', 'd.bin'];
  let snapshot = 0;
  const request = (): CopyPageRequest => ({
    source: { container: source, prefix: 'in/' },
    target: { container: target, prefix: `snap/${snapshot}/` },
    pageSize: 10,
    concurrency: 2,
  });

  beforeAll(async () => {
    fake = await BlobFake.start(`http://127.0.0.1:${testEndpoints.ports.blob}`);
    const connection = testEndpoints.storageConnectionString.replace(/BlobEndpoint=http:\/\/[^/]+/, `BlobEndpoint=${fake.origin}`);
    service = BlobServiceClient.fromConnectionString(connection, { retryOptions: { maxTries: 1 } });
    await service.getContainerClient(source).createIfNotExists();
    for (const name of names) await service.getContainerClient(source).getBlockBlobClient(`in/${name}`).uploadData(Buffer.from(name));
  });
  afterAll(() => fake.stop());

  beforeEach(() => {
    snapshot++;
    sleeps = [];
    copier = new AzureBlobCopier(service, sharedKeySigner(service), service, {
      pollMs: 1,
      retry: { maxAttempts: 3, baseDelayMs: 100, sleep: async (ms) => void sleeps.push(ms) },
    });
    fake.requests.length = 0;
  });

  it('reads the source through a signed URL, with one listing of each side per page and no per-blob lookups', async () => {
    expect(await copier.copyPage(request())).toMatchObject({ copied: 4, skipped: 0, failed: 0 });
    const copies = fake.requests.filter((r) => r.operation === 'copy');
    expect(copies).toHaveLength(4);
    expect(copies.every((r) => r.signedSource && r.status === 202)).toBe(true);
    expect(fake.requests.filter((r) => r.operation === 'list')).toHaveLength(2);
    expect(fake.requests.filter((r) => r.operation === 'properties')).toHaveLength(0);
  });

  it('retries throttled listings and copies after the Retry-After the service sent, else with backoff', async () => {
    fake.throttle('list', 1, 429, 7);
    fake.throttle('copy', 1, 503, 2);
    fake.throttle('copy', 1, 503);
    expect(await copier.copyPage(request())).toMatchObject({ copied: 4, failed: 0 });
    expect(sleeps.sort((a, b) => a - b)).toEqual([100, 2000, 7000]);
    expect(fake.requests.filter((r) => r.status === 429 || r.status === 503)).toHaveLength(3);
  });

  it('reports a blob still throttled after the last attempt without failing the rest of the page', async () => {
    fake.throttle('copy', 3, 503, 1);
    const page = await copier.copyPage({ ...request(), concurrency: 1 });
    expect(page).toMatchObject({ copied: 3, failed: 1 });
    expect(page.failures).toEqual([{ name: 'in/a.bin', reason: expect.stringContaining('503') }]);
  });

  it('waits for pending copies until they succeed', async () => {
    fake.slowCopies(2, 3);
    expect(await copier.copyPage(request())).toMatchObject({ copied: 4, failed: 0 });
    expect(fake.requests.filter((r) => r.operation === 'properties')).toHaveLength(2 * 4);
  });

  it('reports a copy that ends failed, and copies it again on the next run instead of skipping it', async () => {
    fake.slowCopies(1, 1, 'failed');
    const first = await copier.copyPage({ ...request(), concurrency: 1 });
    expect(first).toMatchObject({ copied: 3, failed: 1 });
    expect(first.failures).toEqual([{ name: 'in/a.bin', reason: expect.stringMatching(/^copy failed: 500 InternalError/) }]);
    const second = await copier.copyPage(request());
    expect(second).toMatchObject({ copied: 1, skipped: 3, failed: 0 });
  });

  it('fails only the page whose listing stays throttled', async () => {
    fake.throttle('list', 3, 503);
    await expect(copier.copyPage(request())).rejects.toMatchObject({
      code: 'STORAGE.THROTTLED',
      transient: true,
      details: expect.objectContaining({ status: 503 }),
    });
  });
});
