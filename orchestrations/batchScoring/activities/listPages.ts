import { PageDescriptor } from '../contracts';
import { BatchScoringActivityDeps, BatchScoringHandlers } from './deps';
import { sourcePages } from './sourcePages';

/** Pages listed per activity call: the orchestrator loops, so one call stays short on any source. */
const pagesPerListing = 100;

export function listPagesActivity({ blobs }: Pick<BatchScoringActivityDeps, 'blobs'>): Pick<BatchScoringHandlers, 'listPages'> {
  return {
    async listPages({ source, pageSize, continuation, firstIndex }) {
      const pages: PageDescriptor[] = [];
      let next: string | undefined;
      for await (const listed of sourcePages(blobs, source, pageSize, { continuation, firstIndex })) {
        pages.push(listed.page);
        if (pages.length === pagesPerListing) {
          next = listed.next;
          break;
        }
      }
      return { ok: true, pages, next };
    },
  };
}
