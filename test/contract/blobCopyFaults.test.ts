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

  // As if every blob were over the synchronous copy's limit: copies start asynchronously and are polled.
  let largeCopier: AzureBlobCopier;
  beforeEach(() => {
    snapshot++;
    sleeps = [];
    const options = { pollMs: 1, retry: { maxAttempts: 3, baseDelayMs: 100, sleep: async (ms: number) => void sleeps.push(ms) } };
    copier = new AzureBlobCopier(service, sharedKeySigner(service), service, options);
    largeCopier = new AzureBlobCopier(service, sharedKeySigner(service), service, { ...options, syncCopyMaxBytes: 4 });
    fake.requests.length = 0;
  });

  it('copies small blobs synchronously through a signed URL: one listing of each side per page, one request per blob', async () => {
    expect(await copier.copyPage(request())).toMatchObject({ copied: 4, skipped: 0, failed: 0 });
    const copies = fake.requests.filter((r) => r.operation === 'syncCopy');
    expect(copies).toHaveLength(4);
    expect(copies.every((r) => r.signedSource && r.status === 202)).toBe(true);
    expect(fake.requests.filter((r) => r.operation === 'list')).toHaveLength(2);
    // And the target container's creation, once per copier.
    expect(fake.requests).toHaveLength(1 + 2 + 4);
  });

  it('copies blobs over the synchronous limit asynchronously, looking at a copy only while it is pending', async () => {
    expect(await largeCopier.copyPage(request())).toMatchObject({ copied: 4, skipped: 0, failed: 0 });
    const copies = fake.requests.filter((r) => r.operation === 'copy');
    expect(copies).toHaveLength(4);
    expect(copies.every((r) => r.signedSource && r.status === 202)).toBe(true);
    expect(fake.requests.filter((r) => r.operation === 'properties')).toHaveLength(0);
    expect(await largeCopier.copyPage(request())).toMatchObject({ copied: 0, skipped: 4, failed: 0 });
  });

  it('retries throttled listings and copies after the Retry-After the service sent, else with backoff', async () => {
    fake.throttle('list', 1, 429, 7);
    fake.throttle('syncCopy', 1, 503, 2);
    fake.throttle('syncCopy', 1, 503);
    expect(await copier.copyPage(request())).toMatchObject({ copied: 4, failed: 0 });
    expect(sleeps.sort((a, b) => a - b)).toEqual([100, 2000, 7000]);
    expect(fake.requests.filter((r) => r.status === 429 || r.status === 503)).toHaveLength(3);
  });

  it('reports a blob still throttled after the last attempt without failing the rest of the page', async () => {
    fake.throttle('syncCopy', 3, 503, 1);
    const page = await copier.copyPage({ ...request(), concurrency: 1 });
    expect(page).toMatchObject({ copied: 3, failed: 1 });
    expect(page.failures).toEqual([{ name: 'in/a.bin', reason: expect.stringContaining('503') }]);
  });

  it('waits for pending copies with growing pauses until they succeed', async () => {
    fake.slowCopies(2, 3);
    expect(await largeCopier.copyPage(request())).toMatchObject({ copied: 4, failed: 0 });
    expect(fake.requests.filter((r) => r.operation === 'properties')).toHaveLength(2 * 4);
    expect(sleeps.sort((a, b) => a - b)).toEqual([1, 1, 2, 2, 4, 4, 8, 8]);
  });

  it('reports a copy that ends failed, and copies it again on the next run instead of skipping it', async () => {
    fake.slowCopies(1, 1, 'failed');
    const first = await largeCopier.copyPage({ ...request(), concurrency: 1 });
    expect(first).toMatchObject({ copied: 3, failed: 1 });
    expect(first.failures).toEqual([{ name: 'in/a.bin', reason: expect.stringMatching(/^copy failed: 500 InternalError/) }]);
    const second = await largeCopier.copyPage(request());
    expect(second).toMatchObject({ copied: 1, skipped: 3, failed: 0 });
  });

  it('refuses, as Azure does, a synchronous copy whose source cannot be read with its URL alone', async () => {
    const container = service.getContainerClient(target);
    await container.createIfNotExists();
    const unsigned = service.getContainerClient(source).getBlobClient('in/a.bin').url;
    await expect(container.getBlockBlobClient('unsigned.bin').syncCopyFromURL(unsigned)).rejects.toMatchObject({
      statusCode: expect.any(Number),
      code: 'CannotVerifyCopySource',
    });
    expect(await container.getBlobClient('unsigned.bin').exists()).toBe(false);
  });

  it('refuses a synchronous copy of a source over 256 MiB, which the copier copies asynchronously instead', async () => {
    // 65 references to one 4 MiB block: a 260 MiB blob for the price of 4 MiB.
    const big = service.getContainerClient(source).getBlockBlobClient('big/huge.bin');
    const block = Buffer.from('block-0').toString('base64');
    await big.stageBlock(block, Buffer.alloc(4 * 2 ** 20), 4 * 2 ** 20);
    await big.commitBlockList(Array.from({ length: 65 }, () => block));
    const signed = await sharedKeySigner(service).signedUrl(source, 'big/huge.bin');
    const container = service.getContainerClient(target);
    await container.createIfNotExists();
    await expect(container.getBlockBlobClient('huge-sync.bin').syncCopyFromURL(signed)).rejects.toMatchObject({
      statusCode: 409,
      code: 'CannotVerifyCopySource',
      message: expect.stringContaining('256MB'),
    });
    fake.requests.length = 0;
    const page = await copier.copyPage({ ...request(), source: { container: source, prefix: 'big/' } });
    expect(page).toMatchObject({ copied: 1, failed: 0 });
    expect(fake.requests.filter((r) => r.operation === 'copy' && r.status === 202)).toHaveLength(1);
    expect(fake.requests.filter((r) => r.operation === 'syncCopy')).toHaveLength(0);
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
