import { randomUUID } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { AzureBlobStore } from '../../shared/adapters/azure/azureBlobStore';
import { testEndpoints } from '../support/testStack';

// The BlobStore contract against Azurite (the same adapter serves Azure Storage).
describe('BlobStore (Azurite)', () => {
  const store = new AzureBlobStore(BlobServiceClient.fromConnectionString(testEndpoints.storageConnectionString));
  const container = `contract-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    await store.ensureContainer(container);
    await store.ensureContainer(container);
  });

  it('creates, reads, describes and deletes blobs; missing ones are undefined', async () => {
    await store.create({ container, name: 'a/one.txt' }, 'hello', { contentType: 'text/plain', metadata: { origin: 'test' } });
    expect((await store.get({ container, name: 'a/one.txt' }))?.toString()).toBe('hello');
    expect(await store.getInfo({ container, name: 'a/one.txt' })).toMatchObject({
      size: 5,
      contentType: 'text/plain',
      metadata: { origin: 'test' },
    });
    expect((await store.getInfo({ container, name: 'a/one.txt' }))?.etag).toMatch(/^0x[0-9A-F]+$/);
    expect(await store.get({ container, name: 'missing' })).toBeUndefined();
    expect(await store.getInfo({ container, name: 'missing' })).toBeUndefined();
    await store.delete({ container, name: 'a/one.txt' });
    await store.delete({ container, name: 'a/one.txt' });
    expect(await store.get({ container, name: 'a/one.txt' })).toBeUndefined();
  });

  it('lists by prefix in pages with metadata', async () => {
    for (let i = 0; i < 5; i++) await store.create({ container, name: `p/${i}.bin` }, Buffer.alloc(i), { metadata: { n: String(i) } });
    await store.create({ container, name: 'q/other' }, 'x');
    const first = await store.list(container, 'p/', { pageSize: 2 });
    expect(first.items.map((b) => b.name)).toEqual(['p/0.bin', 'p/1.bin']);
    expect(first.next).toBeDefined();
    const names = [...first.items];
    let next = first.next;
    while (next) {
      const page = await store.list(container, 'p/', { pageSize: 2, continuation: next });
      names.push(...page.items);
      next = page.next;
    }
    expect(names.map((b) => b.metadata.n)).toEqual(['0', '1', '2', '3', '4']);
    expect((await store.list('no-such-container', '')).items).toEqual([]);
  });

  it('copies server-side, setting metadata on the target', async () => {
    await store.create({ container, name: 'src/img.png' }, Buffer.from([1, 2, 3]));
    const state = await store.copy({ container, name: 'src/img.png' }, { container, name: 'dst/img.png' }, { sourceetag: 'abc' });
    expect(state).toBe('success');
    expect([...((await store.get({ container, name: 'dst/img.png' })) ?? [])]).toEqual([1, 2, 3]);
    expect((await store.getInfo({ container, name: 'dst/img.png' }))?.metadata).toEqual({ sourceetag: 'abc' });
  });
});
