import { BlobInfo, BlobStore } from '../../../shared/ports/blobStore';
import { BlobLocation, outputFiles, PageDescriptor, PageResult } from '../contracts';
import { formatPredictionCsv, pageResultOf, parsePredictionCsv, PredictionRow } from '../predictionCsv';

/** Markers such as `_READY` (and hidden files) are not data; Spark skips them too. */
export function isData(name: string): boolean {
  const base = name.split('/').pop() ?? '';
  return base !== '' && !base.startsWith('_') && !base.startsWith('.');
}

/** The blobs of one page: listed again from its token, bounded by its first and last names. */
export async function listPageBlobs(blobs: BlobStore, source: BlobLocation, page: PageDescriptor, pageSize: number): Promise<BlobInfo[]> {
  const items: BlobInfo[] = [];
  let continuation = page.continuation;
  for (;;) {
    const listed = await blobs.list(source.container, source.prefix, { pageSize, continuation });
    for (const item of listed.items) if (item.name >= page.first && item.name <= page.last && isData(item.name)) items.push(item);
    const passed = listed.items.length > 0 && listed.items[listed.items.length - 1].name >= page.last;
    if (passed || !listed.next) return items;
    continuation = listed.next;
  }
}

export function pageRef(output: BlobLocation, index: number) {
  return { container: output.container, name: `${output.prefix}${outputFiles.page(index)}` };
}

/** The page's result when its CSV is already written: such a page is never scored again. */
export async function writtenPage(
  blobs: BlobStore,
  output: BlobLocation,
  index: number,
  labels: string[],
): Promise<PageResult | undefined> {
  const text = await blobs.get(pageRef(output, index));
  return text ? pageResultOf(index, labels, parsePredictionCsv(text.toString('utf8'), labels), true) : undefined;
}

/** Writes the page's CSV in one put, after everything on it is scored: a page either has all its rows or no file. */
export async function writePage(
  blobs: BlobStore,
  output: BlobLocation,
  index: number,
  labels: string[],
  rows: PredictionRow[],
): Promise<PageResult> {
  await blobs.ensureContainer(output.container);
  await blobs.create(pageRef(output, index), formatPredictionCsv(labels, rows), { contentType: 'text/csv' });
  return pageResultOf(index, labels, rows, false);
}
