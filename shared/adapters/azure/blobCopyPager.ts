import { BlobClient, BlobServiceClient, ContainerClient, RestError } from '@azure/storage-blob';
import { BlobCopier, CopyFailure, CopyPageOutcome, CopyPageRequest } from '../../ports/blobCopier';
import { CopySourceAuthorizer, signedSource, SourceUrlSigner } from './blobCopySource';
import { defaultThrottlingRetry, ThrottlingRetryOptions, withThrottlingRetry } from './blobCopyRetry';
import { storageCall } from './storageErrors';

/** The target metadata key holding the source ETag a blob was copied from: equal ETags mean nothing to copy. */
export const sourceEtagKey = 'canopysourceetag';

/** The largest source Copy Blob From URL accepts: it copies within the request, for committed block blobs up to 256 MiB. */
export const syncCopyMaxBytes = 256 * 2 ** 20;

export interface BlobCopierOptions {
  retry?: Partial<ThrottlingRetryOptions>;
  /** Block blobs up to this size are copied synchronously (Copy Blob From URL); larger ones asynchronously (Copy Blob). */
  syncCopyMaxBytes?: number;
  /** The first wait before an asynchronous copy is looked at again; it doubles per look up to `maxPollMs`. */
  pollMs?: number;
  maxPollMs?: number;
  /** How long an asynchronous copy may stay pending before it counts as failed. */
  maxPendingMs?: number;
}

interface SourceBlob {
  name: string;
  relative: string;
  etag: string;
  /** Whether Copy Blob From URL can copy it: a block blob no larger than its limit. */
  sync: boolean;
}

const bare = (etag: string | undefined): string => (etag ?? '').replace(/^"|"$/g, '');

function commonPrefix(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return a.slice(0, i);
}

async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const reasonOf = (err: unknown): string =>
  err instanceof RestError ? `${err.statusCode ?? ''} ${err.code ?? ''} ${err.message.split('\n')[0]}`.trim() : String(err);

/**
 * BlobCopier with server-side copies: the target account pulls each source blob through a short-lived signed URL,
 * so no data passes through this process. Per page: one source listing, one target listing (bounded to the page's
 * name range, with metadata) to find what is already there, then one request per blob still to copy, with bounded
 * concurrency — Copy Blob From URL for block blobs up to 256 MiB, Copy Blob plus polling for the rest.
 */
export class AzureBlobCopier implements BlobCopier {
  readonly #retry: ThrottlingRetryOptions;
  readonly #syncCopyMaxBytes: number;
  readonly #pollMs: number;
  readonly #maxPollMs: number;
  readonly #maxPendingMs: number;
  readonly #ensured = new Set<string>();
  readonly #access: CopySourceAuthorizer;

  /** `access`: how the target reads source blobs; a bare signer signs every source URL. */
  constructor(
    private readonly source: BlobServiceClient,
    access: SourceUrlSigner | CopySourceAuthorizer,
    private readonly target: BlobServiceClient,
    options: BlobCopierOptions = {},
  ) {
    this.#access = 'signedUrl' in access ? signedSource(access) : access;
    this.#retry = { ...defaultThrottlingRetry, ...options.retry };
    this.#syncCopyMaxBytes = options.syncCopyMaxBytes ?? syncCopyMaxBytes;
    this.#pollMs = options.pollMs ?? 500;
    this.#maxPollMs = options.maxPollMs ?? 10_000;
    this.#maxPendingMs = options.maxPendingMs ?? 10 * 60_000;
  }

  /** Copies one page; a listing or container fault that outlasts the throttling retries is thrown as a `CanopyError`. */
  async copyPage(request: CopyPageRequest): Promise<CopyPageOutcome> {
    return storageCall(() => this.#copyPage(request));
  }

  async #copyPage(request: CopyPageRequest): Promise<CopyPageOutcome> {
    const { source, target } = request;
    const outcome: CopyPageOutcome = { copied: 0, skipped: 0, failed: 0, failures: [], next: undefined };
    const page = await this.#call(() =>
      this.source
        .getContainerClient(source.container)
        .listBlobsFlat({ prefix: source.prefix })
        .byPage({ maxPageSize: request.pageSize, continuationToken: request.continuation })
        .next(),
    ).catch((err: unknown) => {
      // A missing source container is an empty folder, as a missing prefix is.
      if (err instanceof RestError && err.statusCode === 404) return undefined;
      throw err;
    });
    if (!page || page.done) return outcome;
    outcome.next = page.value.continuationToken || undefined;
    const items = page.value.segment.blobItems
      .map((b): SourceBlob => ({
        name: b.name,
        relative: b.name.slice(source.prefix.length),
        etag: bare(b.properties.etag),
        sync: b.properties.blobType === 'BlockBlob' && (b.properties.contentLength ?? Infinity) <= this.#syncCopyMaxBytes,
      }))
      .filter((b) => request.include?.(b.relative) ?? true);
    if (items.length === 0) return outcome;

    const targetContainer = this.target.getContainerClient(target.container);
    await this.#ensureContainer(targetContainer);
    const copiedFrom = await this.#copiedEtags(targetContainer, target.prefix, items[0].relative, items[items.length - 1].relative);
    const failures: CopyFailure[] = [];
    await pool(items, request.concurrency, async (item) => {
      if (copiedFrom.get(item.relative) === item.etag) {
        outcome.skipped++;
        return;
      }
      const failure = await this.#copyOne(source.container, item, targetContainer.getBlobClient(`${target.prefix}${item.relative}`));
      if (failure) failures.push({ name: item.name, reason: failure });
      else outcome.copied++;
    });
    outcome.failed = failures.length;
    outcome.failures = failures.sort((a, b) => a.name.localeCompare(b.name));
    return outcome;
  }

  async #ensureContainer(container: ContainerClient): Promise<void> {
    if (this.#ensured.has(container.containerName)) return;
    await this.#call(() => container.createIfNotExists());
    this.#ensured.add(container.containerName);
  }

  /**
   * Source ETags of the blobs already copied successfully into the target, by relative name. Listing is in name
   * order, so it starts at the page's common prefix and stops after the page's last name.
   */
  async #copiedEtags(container: ContainerClient, prefix: string, first: string, last: string): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    let continuationToken: string | undefined;
    do {
      const page = await this.#call(() =>
        container
          .listBlobsFlat({ prefix: `${prefix}${commonPrefix(first, last)}`, includeMetadata: true, includeCopy: true })
          .byPage({ maxPageSize: 5000, continuationToken })
          .next(),
      );
      if (page.done) break;
      for (const blob of page.value.segment.blobItems) {
        const relative = blob.name.slice(prefix.length);
        if (relative > last) return found;
        const status = blob.properties.copyStatus;
        const etag = blob.metadata?.[sourceEtagKey];
        if (etag && (status === undefined || status === 'success')) found.set(relative, etag);
      }
      continuationToken = page.value.continuationToken || undefined;
    } while (continuationToken);
    return found;
  }

  /**
   * Copies one blob, synchronously when the service allows it (one request, done when it answers), else by starting
   * an asynchronous copy and looking at it with growing pauses until it ends or `maxPendingMs` passed. Resolves to
   * why it failed, or undefined once it succeeded. Content and source ETag land in one request either way, so an
   * interrupted copy leaves either nothing or a finished blob (or a failed or pending one, which is never skipped).
   */
  async #copyOne(sourceContainer: string, item: SourceBlob, blob: BlobClient): Promise<string | undefined> {
    try {
      const { url, sourceAuthorization } = await this.#access.access(sourceContainer, item.name, item.sync);
      // The source ETag condition makes a blob changed since the listing fail rather than copy other content.
      const options = { metadata: { [sourceEtagKey]: item.etag }, sourceConditions: { ifMatch: `"${item.etag}"` } };
      if (item.sync) {
        await this.#call(() => blob.getBlockBlobClient().syncCopyFromURL(url, { ...options, sourceAuthorization }));
        return undefined;
      }
      // Only the start goes through the SDK's poller (it resolves once the copy started); waiting is polled here, so
      // each request is retried on throttling on its own.
      const poller = await this.#call(() => blob.beginCopyFromURL(url, options));
      if (poller.getOperationState().isCompleted) return undefined;
      const deadline = Date.now() + this.#maxPendingMs;
      for (let pause = this.#pollMs; ; pause = Math.min(this.#maxPollMs, pause * 2)) {
        if (Date.now() > deadline) return `copy still pending after ${this.#maxPendingMs} ms`;
        await this.#retry.sleep(pause);
        const state = await this.#call(() => blob.getProperties());
        if (state.copyStatus === 'success' || state.copyStatus === undefined) return undefined;
        if (state.copyStatus !== 'pending') return `copy ${state.copyStatus}: ${state.copyStatusDescription ?? 'no description'}`;
      }
    } catch (err) {
      return reasonOf(err);
    }
  }

  #call<T>(call: () => Promise<T>): Promise<T> {
    return withThrottlingRetry(call, this.#retry);
  }
}
