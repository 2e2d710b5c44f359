import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { BlobFake } from '../../devhost/azureFakes/blobFake';
import { sourceEtagKey } from '../../shared/adapters/azure/blobCopyPager';
import { testEndpoints } from '../support/testStack';

// A copy killed with SIGKILL half-way, then run again: what was copied before the kill is skipped, the rest copied,
// and the blob fake's request log shows every blob copied exactly once over both runs. The copy runs in a child
// process (the built copier from dist/, with the copyDataPage activity's include filter), page after page as the
// orchestration runs them, through the blob fake, which logs each copy request the child makes.
const root = path.resolve(__dirname, '../..');
const copyInChild = `
const { BlobServiceClient } = require('@azure/storage-blob');
const { AzureBlobCopier } = require('./dist/shared/adapters/azure/blobCopyPager');
const { sharedKeySigner } = require('./dist/shared/adapters/azure/blobCopySource');
const { copySettings } = require('./dist/orchestrations/trainingPipeline/activities/inputData');
(async () => {
  const service = BlobServiceClient.fromConnectionString(process.env.COPY_CONNECTION, { retryOptions: { maxTries: 1 } });
  const copier = new AzureBlobCopier(service, sharedKeySigner(service), service);
  const totals = { copied: 0, skipped: 0, failed: 0 };
  let continuation;
  do {
    const page = await copier.copyPage({
      source: { container: process.env.COPY_SOURCE, prefix: 'in/' },
      target: { container: process.env.COPY_TARGET, prefix: 'snap/' },
      continuation,
      pageSize: 50,
      concurrency: 4,
      include: copySettings.include,
    });
    for (const key of Object.keys(totals)) totals[key] += page[key];
    continuation = page.next;
  } while (continuation);
  console.log(JSON.stringify(totals));
})().catch((err) => { console.error(err); process.exit(1); });
`;

describe('a blob copy killed with SIGKILL', () => {
  const id = randomUUID().slice(0, 8);
  const source = `resume-src-${id}`;
  const target = `resume-dst-${id}`;
  const count = 600;
  let fake: BlobFake;
  let service: BlobServiceClient;
  let connection: string;

  const startCopy = (): { child: ChildProcess; output: Promise<{ code: number | null; stdout: string }> } => {
    const child = spawn(process.execPath, ['-e', copyInChild], {
      cwd: root,
      env: { ...process.env, COPY_CONNECTION: connection, COPY_SOURCE: source, COPY_TARGET: target },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    return { child, output: new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout }))) };
  };

  const targetBlobs = async (): Promise<Map<string, { etag: string; lastModified: number; sourceEtag?: string }>> => {
    const found = new Map<string, { etag: string; lastModified: number; sourceEtag?: string }>();
    for await (const blob of service.getContainerClient(target).listBlobsFlat({ includeMetadata: true }))
      found.set(blob.name, {
        etag: blob.properties.etag ?? '',
        lastModified: blob.properties.lastModified.getTime(),
        sourceEtag: blob.metadata?.[sourceEtagKey],
      });
    return found;
  };

  const successfulCopies = (): string[] =>
    fake.requests.filter((r) => r.operation === 'syncCopy' && r.status === 202).map((r) => r.path.split(`/${target}/`)[1]);

  beforeAll(async () => {
    fake = await BlobFake.start(`http://127.0.0.1:${testEndpoints.ports.blob}`);
    connection = testEndpoints.storageConnectionString.replace(/BlobEndpoint=http:\/\/[^/]+/, `BlobEndpoint=${fake.origin}`);
    service = BlobServiceClient.fromConnectionString(testEndpoints.storageConnectionString);
    const container = service.getContainerClient(source);
    await container.createIfNotExists();
    const names = Array.from({ length: count }, (_, i) => `in/train/${i % 10}/${String(i).padStart(4, '0')}.png`);
    for (let i = 0; i < names.length; i += 50)
      await Promise.all(names.slice(i, i + 50).map((name) => container.getBlockBlobClient(name).uploadData(Buffer.from(name))));
    await container.getBlockBlobClient('in/_READY').uploadData(Buffer.alloc(0));
  });
  afterAll(() => fake.stop());

  it('resumes without copying again what was copied before the kill, and ends with every blob copied once', async () => {
    const first = startCopy();
    while (successfulCopies().length < count / 4 && first.child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 5));
    first.child.kill('SIGKILL');
    expect(await first.output).toMatchObject({ code: null });
    // Copies in flight at the kill may still land: let them, then take what the target holds.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const beforeResume = await targetBlobs();
    expect(beforeResume.size).toBeGreaterThanOrEqual(count / 4);
    expect(beforeResume.size).toBeLessThan(count);

    const second = startCopy();
    const { code, stdout } = await second.output;
    expect(code).toBe(0);
    const totals = JSON.parse(stdout.trim()) as { copied: number; skipped: number; failed: number };
    expect(totals).toEqual({ copied: count - beforeResume.size, skipped: beforeResume.size, failed: 0 });

    // Over both runs, each blob was copied by exactly one successful request, markers never.
    const copies = successfulCopies();
    expect(copies).toHaveLength(count);
    expect(new Set(copies).size).toBe(count);
    expect(copies.some((name) => name.endsWith('_READY'))).toBe(false);
    // What was there before the resume is untouched; everything carries its source's ETag.
    const after = await targetBlobs();
    expect(after.size).toBe(count);
    for (const [name, blob] of beforeResume) expect(after.get(name)).toEqual(blob);
    const sourceEtags = new Map<string, string>();
    for await (const blob of service.getContainerClient(source).listBlobsFlat({ prefix: 'in/' }))
      sourceEtags.set(`snap/${blob.name.slice('in/'.length)}`, (blob.properties.etag ?? '').replace(/"/g, ''));
    for (const [name, blob] of after) expect(blob.sourceEtag).toBe(sourceEtags.get(name));
  });
});
