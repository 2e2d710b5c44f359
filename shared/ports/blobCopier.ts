/** A folder of blobs: a container and a name prefix (empty, or ending in `/`). */
export interface CopyLocation {
  container: string;
  prefix: string;
}

export interface CopyPageRequest {
  source: CopyLocation;
  target: CopyLocation;
  /** Continuation token of the source listing; absent for the first page. */
  continuation?: string;
  pageSize: number;
  /** How many copies of the page run at once. */
  concurrency: number;
  /** Which source blobs are data, by name relative to the source prefix (e.g. run markers are not). */
  include?(relativeName: string): boolean;
}

export interface CopyFailure {
  name: string;
  reason: string;
}

export interface CopyPageOutcome {
  copied: number;
  /** Already in the target with the same source ETag. */
  skipped: number;
  failed: number;
  failures: CopyFailure[];
  /** Continuation token of the next source page; absent on the last page. */
  next?: string;
}

/**
 * Server-side copy of a folder, one source page per call, from a source account (possibly another one) into the
 * app's storage. Idempotent: a page copied twice copies nothing the second time. A blob that cannot be copied is
 * reported in the outcome; only a page that cannot be listed throws.
 */
export interface BlobCopier {
  copyPage(request: CopyPageRequest): Promise<CopyPageOutcome>;
}
