import { parseBlobPath } from '../../devhost/blob/blobPath';
import { BlobLister, blobsToScan } from '../../devhost/blob/blobScan';

/**
 * Azure's listing semantics over a set of names: flat under a prefix; one level (each folder once, and the blobs at
 * that level) with a delimiter. `listed` counts the items a listing returns, what crosses the wire.
 */
function memoryLister(names: string[]): BlobLister<{ name: string }> & { listed: number } {
  const sorted = [...names].sort();
  const lister = {
    listed: 0,
    async *listBlobsFlat({ prefix }: { prefix: string }) {
      for (const name of sorted.filter((n) => n.startsWith(prefix))) {
        lister.listed++;
        yield { name };
      }
    },
    async *listBlobsByHierarchy(delimiter: string, { prefix }: { prefix: string }) {
      const seen = new Set<string>();
      for (const name of sorted.filter((n) => n.startsWith(prefix))) {
        const cut = name.indexOf(delimiter, prefix.length);
        const item = cut < 0 ? { kind: 'blob' as const, name } : { kind: 'prefix' as const, name: name.slice(0, cut + 1) };
        if (seen.has(item.name)) continue;
        seen.add(item.name);
        lister.listed++;
        yield item;
      }
    },
  };
  return lister;
}

async function scanned(pattern: string, names: string[]): Promise<{ matched: string[]; listed: number }> {
  const parsed = parseBlobPath(pattern);
  const lister = memoryLister(names);
  const matched: string[] = [];
  for await (const blob of blobsToScan(lister, parsed)) if (parsed.match(blob.name)) matched.push(blob.name);
  return { matched: matched.sort(), listed: lister.listed };
}

const names = [
  '_READY',
  'fashion/_READY',
  'fashion/_READY.bak',
  'fashion/train/a/1.png',
  'fashion/train/b/2.png',
  'logs/2026/_READY',
  'logs/2026/12/x.csv',
  'cats/tabby.png',
  'cats/kittens/small.png',
  'dogs/rex.jpg',
  'x-y/z/_READY',
  'deep/a/b/c/d.png',
];

describe('blob trigger scans', () => {
  it.each([
    'box/{pipeline}/_READY',
    'box/{name}',
    'box/{folder}/{name}.png',
    'box/cats/{name}',
    'box/{a}-{b}/{c}/_READY',
    'box/{year}/{month}/{file}',
    'box/fashion/_READY',
    'box',
  ])('finds exactly the blobs %s matches among everything in the container', async (pattern) => {
    const expected = names.filter((n) => parseBlobPath(pattern).match(n)).sort();
    expect((await scanned(pattern, names)).matched).toEqual(expected);
  });

  it('reads the folders and the marker, not the images, for a marker pattern', async () => {
    const images = Array.from({ length: 1400 }, (_, i) => `fashion-demo/train/class${i % 10}/${i}.png`);
    const { matched, listed } = await scanned('canopy-landing/{pipeline}/_READY', [...images, 'fashion-demo/_READY', 'other/_READY']);
    expect(matched).toEqual(['fashion-demo/_READY', 'other/_READY']);
    // Two folders and two markers; a flat listing returns all 1,402 blobs.
    expect(listed).toBe(4);
  });
});
