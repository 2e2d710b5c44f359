import { BlobInfo, BlobStore } from '../../../shared/ports/blobStore';
import { BlobLocation, PageDescriptor } from '../contracts';
import { isData } from './pageFiles';

export interface ListedPage {
  page: PageDescriptor;
  /** The page's data blobs, as this listing found them. */
  items: BlobInfo[];
  /** Where the listing goes on after this page. */
  next?: string;
}

/**
 * The source's pages in order, from `continuation` (page `firstIndex`) on: a page is the data blobs
 * of one listing call, so listing again with the same page size finds the same pages.
 */
export async function* sourcePages(
  blobs: BlobStore,
  source: BlobLocation,
  pageSize: number,
  from: { continuation?: string; firstIndex: number } = { firstIndex: 0 },
): AsyncGenerator<ListedPage> {
  let continuation = from.continuation;
  let index = from.firstIndex;
  for (;;) {
    const listed = await blobs.list(source.container, source.prefix, { pageSize, continuation });
    const items = listed.items.filter((item) => isData(item.name));
    if (items.length > 0) {
      const page = { index: index++, continuation, first: items[0].name, last: items[items.length - 1].name, count: items.length };
      yield { page, items, next: listed.next };
    }
    if (!listed.next) return;
    continuation = listed.next;
  }
}
