import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { DevhostProcess, startDevhost } from '../support/devhostProcess';
import { testEndpoints } from '../support/testStack';

const appDir = path.resolve(__dirname, '../fixtures/blobApp');
const blobs = BlobServiceClient.fromConnectionString(testEndpoints.storageConnectionString);
const queues = QueueServiceClient.fromConnectionString(testEndpoints.storageConnectionString);

async function upload(container: string, name: string, text: string): Promise<void> {
  const client = blobs.getContainerClient(container);
  await client.createIfNotExists();
  await client.getBlockBlobClient(name).upload(text, Buffer.byteLength(text));
}

async function records(prefix: string): Promise<Record<string, unknown>[]> {
  const container = blobs.getContainerClient('fired');
  if (!(await container.exists())) return [];
  const out: Record<string, unknown>[] = [];
  for await (const blob of container.listBlobsFlat({ prefix })) {
    out.push(JSON.parse((await container.getBlobClient(blob.name).downloadToBuffer()).toString('utf8')));
  }
  return out;
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('devhost blob triggers', () => {
  let host: DevhostProcess | undefined;
  afterEach(async () => {
    await host?.stop();
    host = undefined;
  });

  it('fires once per blob with binding data, and not again after a restart', async () => {
    host = await startDevhost({ appDir });
    const folder = randomUUID();
    await upload('uploads', `${folder}/report.txt`, 'first version');
    const fired = await eventually(
      () => records(`uploads/${folder}/`),
      (r) => r.length >= 1,
    );
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({
      content: 'first version',
      blobTrigger: `uploads/${folder}/report.txt`,
      folder,
      name: 'report',
      length: 13,
    });
    expect(String(fired[0].uri)).toMatch(new RegExp(`/uploads/${folder}/report.txt$`));

    await upload('uploads', `${folder}/other.json`, 'does not match the pattern');
    await host.stop();
    host = await startDevhost(host.options());
    await settle(2500);
    expect(await records(`uploads/${folder}/`)).toHaveLength(1);
  });

  it('fires for a new version of the same blob', async () => {
    host = await startDevhost({ appDir });
    const folder = randomUUID();
    await upload('uploads', `${folder}/data.txt`, 'v1');
    await eventually(
      () => records(`uploads/${folder}/`),
      (r) => r.length >= 1,
    );
    await upload('uploads', `${folder}/data.txt`, 'v2');
    const fired = await eventually(
      () => records(`uploads/${folder}/`),
      (r) => r.length >= 2,
    );
    expect(fired.map((r) => r.content).sort()).toEqual(['v1', 'v2']);
  });

  it('fires after start for a blob uploaded while the host was stopped', async () => {
    host = await startDevhost({ appDir });
    const options = host.options();
    await host.stop();
    const folder = randomUUID();
    await upload('uploads', `${folder}/while-down.txt`, 'uploaded while down');
    host = await startDevhost(options);
    const fired = await eventually(
      () => records(`uploads/${folder}/`),
      (r) => r.length >= 1,
    );
    expect(fired).toHaveLength(1);
    expect(fired[0].content).toBe('uploaded while down');
  });

  it('moves a blob whose function always fails to the poison queue after 5 tries', async () => {
    host = await startDevhost({ appDir });
    const name = `bad-${randomUUID()}`;
    await upload('poison-in', name, 'poison');
    const poison = queues.getQueueClient('webjobs-blobtrigger-poison');
    const found = await eventually(
      async () => {
        if (!(await poison.exists())) return undefined;
        const { peekedMessageItems } = await poison.peekMessages({ numberOfMessages: 32 });
        return peekedMessageItems
          .map((m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')))
          .find((m) => m.BlobName === name);
      },
      (m) => m !== undefined,
      30_000,
    );
    expect(found).toMatchObject({
      Type: 'BlobTrigger',
      FunctionId: 'Host.Functions.alwaysFails',
      BlobType: 'BlockBlob',
      ContainerName: 'poison-in',
      BlobName: name,
    });
    expect(found.ETag).toMatch(/^"?0x[0-9A-F]+"?$/);
    const attempts = await records(`poison/${name}/`);
    expect(attempts).toHaveLength(5);
    expect(attempts.map((a) => a.retryCount).sort()).toEqual([0, 1, 2, 3, 4]);
    await settle(1500);
    expect(await records(`poison/${name}/`)).toHaveLength(5);
  });
});
