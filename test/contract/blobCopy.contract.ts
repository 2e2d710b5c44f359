import { randomUUID } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { BlobCopier } from '../../shared/ports/blobCopier';

export interface BlobCopierSubject {
  copier: BlobCopier;
  /** Where the copier reads from and writes to, to seed and inspect blobs. */
  source: BlobServiceClient;
  target: BlobServiceClient;
}

async function seed(service: BlobServiceClient, container: string, blobs: Record<string, string>): Promise<void> {
  const client = service.getContainerClient(container);
  await client.createIfNotExists();
  for (const [name, content] of Object.entries(blobs)) await client.getBlockBlobClient(name).uploadData(Buffer.from(content));
}

async function read(service: BlobServiceClient, container: string, name: string): Promise<string | undefined> {
  const blob = service.getContainerClient(container).getBlobClient(name);
  return (await blob.exists()) ? (await blob.downloadToBuffer()).toString() : undefined;
}

/** The BlobCopier contract: every adapter copies a folder page by page, idempotently, reporting what it did. */
export function describeBlobCopier(name: string, subject: () => BlobCopierSubject): void {
  describe(`BlobCopier contract (${name})`, () => {
    const run = randomUUID().slice(0, 8);
    const sourceContainer = `copy-src-${run}`;
    const targetContainer = `copy-dst-${run}`;
    const files = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`in/train/c${i % 2}/${i}.png`, `image ${i}`]));

    const copyAll = async (prefix: string) => {
      const { copier } = subject();
      const totals = { copied: 0, skipped: 0, failed: 0, pages: 0 };
      let continuation: string | undefined;
      do {
        const page = await copier.copyPage({
          source: { container: sourceContainer, prefix: 'in/' },
          target: { container: targetContainer, prefix },
          continuation,
          pageSize: 3,
          concurrency: 2,
          include: (relative) => !relative.split('/').pop()?.startsWith('_'),
        });
        totals.copied += page.copied;
        totals.skipped += page.skipped;
        totals.failed += page.failed;
        totals.pages++;
        continuation = page.next;
      } while (continuation);
      return totals;
    };

    beforeAll(async () => {
      await seed(subject().source, sourceContainer, { ...files, 'in/_READY': '', 'other/x.png': 'not in the folder' });
    });

    it('copies a folder page by page into a container it creates, leaving markers and other folders out', async () => {
      expect(await copyAll('snap/1/')).toEqual({ copied: 7, skipped: 0, failed: 0, pages: 3 });
      const { target } = subject();
      for (const [name, content] of Object.entries(files))
        expect(await read(target, targetContainer, `snap/1/${name.slice('in/'.length)}`)).toBe(content);
      expect(await read(target, targetContainer, 'snap/1/_READY')).toBeUndefined();
      expect(await read(target, targetContainer, 'snap/1/other/x.png')).toBeUndefined();
    });

    it('skips what is already copied from the same source version and copies what changed', async () => {
      expect(await copyAll('snap/1/')).toEqual({ copied: 0, skipped: 7, failed: 0, pages: 3 });
      await seed(subject().source, sourceContainer, { 'in/train/c1/3.png': 'image 3, relabelled' });
      expect(await copyAll('snap/1/')).toEqual({ copied: 1, skipped: 6, failed: 0, pages: 3 });
      expect(await read(subject().target, targetContainer, 'snap/1/train/c1/3.png')).toBe('image 3, relabelled');
    });

    it('overwrites a target blob that was not copied from the source', async () => {
      await seed(subject().target, targetContainer, { 'snap/2/train/c0/0.png': 'stale upload' });
      expect(await copyAll('snap/2/')).toEqual({ copied: 7, skipped: 0, failed: 0, pages: 3 });
      expect(await read(subject().target, targetContainer, 'snap/2/train/c0/0.png')).toBe('image 0');
    });

    it('returns an empty last page for an empty or missing folder', async () => {
      const page = await subject().copier.copyPage({
        source: { container: `copy-none-${run}`, prefix: 'in/' },
        target: { container: targetContainer, prefix: 'snap/3/' },
        pageSize: 3,
        concurrency: 2,
      });
      expect(page).toEqual({ copied: 0, skipped: 0, failed: 0, failures: [], next: undefined });
    });
  });
}
