import { BlobServiceClient, RestError } from '@azure/storage-blob';
import { BlobInfo, BlobPage, BlobRef, BlobStore, CopyState } from '../../ports/blobStore';
import { storageCall, storageError } from './storageErrors';

function isStatus(err: unknown, ...codes: number[]): boolean {
  return err instanceof RestError && codes.includes(err.statusCode ?? 0);
}

const bare = (etag: string | undefined): string => (etag ?? '').replace(/^"|"$/g, '');

/** BlobStore on `@azure/storage-blob`: Azure Storage, or Azurite locally. */
export class AzureBlobStore implements BlobStore {
  constructor(private readonly service: BlobServiceClient) {}

  async list(container: string, prefix: string, options: { pageSize?: number; continuation?: string } = {}): Promise<BlobPage> {
    const client = this.service.getContainerClient(container);
    try {
      const page = await client
        .listBlobsFlat({ prefix, includeMetadata: true })
        .byPage({ maxPageSize: options.pageSize ?? 1000, continuationToken: options.continuation })
        .next();
      if (page.done) return { items: [] };
      const items = page.value.segment.blobItems.map((b) => ({
        name: b.name,
        etag: bare(b.properties.etag),
        size: b.properties.contentLength ?? 0,
        contentType: b.properties.contentType,
        metadata: b.metadata ?? {},
      }));
      return { items, next: page.value.continuationToken || undefined };
    } catch (err) {
      if (isStatus(err, 404)) return { items: [] };
      throw storageError(err);
    }
  }

  async get(ref: BlobRef): Promise<Buffer | undefined> {
    try {
      return await this.service.getContainerClient(ref.container).getBlobClient(ref.name).downloadToBuffer();
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw storageError(err);
    }
  }

  async getInfo(ref: BlobRef): Promise<BlobInfo | undefined> {
    try {
      const p = await this.service.getContainerClient(ref.container).getBlobClient(ref.name).getProperties();
      return { name: ref.name, etag: bare(p.etag), size: p.contentLength ?? 0, contentType: p.contentType, metadata: p.metadata ?? {} };
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw storageError(err);
    }
  }

  async create(
    ref: BlobRef,
    content: Buffer | string,
    options: { contentType?: string; metadata?: Record<string, string> } = {},
  ): Promise<void> {
    const body = typeof content === 'string' ? Buffer.from(content) : content;
    await storageCall(() =>
      this.service
        .getContainerClient(ref.container)
        .getBlockBlobClient(ref.name)
        .uploadData(body, { blobHTTPHeaders: { blobContentType: options.contentType }, metadata: options.metadata }),
    );
  }

  async copy(source: BlobRef, target: BlobRef, metadata: Record<string, string>, signal?: AbortSignal): Promise<CopyState> {
    const sourceUrl = this.url(source);
    return storageCall(async () => {
      const poller = await this.service
        .getContainerClient(target.container)
        .getBlobClient(target.name)
        .beginCopyFromURL(sourceUrl, { metadata, abortSignal: signal, intervalInMs: 200 });
      const result = await poller.pollUntilDone();
      return (result.copyStatus ?? 'success') as CopyState;
    });
  }

  async delete(ref: BlobRef): Promise<void> {
    await storageCall(() => this.service.getContainerClient(ref.container).getBlobClient(ref.name).deleteIfExists());
  }

  async ensureContainer(container: string): Promise<void> {
    await storageCall(() => this.service.getContainerClient(container).createIfNotExists());
  }

  url(ref: BlobRef): string {
    return this.service.getContainerClient(ref.container).getBlobClient(ref.name).url;
  }
}
