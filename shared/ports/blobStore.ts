export interface BlobRef {
  container: string;
  name: string;
}

export interface BlobInfo {
  name: string;
  etag: string;
  size: number;
  contentType?: string;
  metadata: Record<string, string>;
}

export interface BlobPage {
  items: BlobInfo[];
  /** Continuation token of the next page; absent on the last page. */
  next?: string;
}

export type CopyState = 'success' | 'pending' | 'failed' | 'aborted';

/** Blob storage: Azure Storage in Azure, Azurite locally (the same protocol). */
export interface BlobStore {
  list(container: string, prefix: string, options?: { pageSize?: number; continuation?: string }): Promise<BlobPage>;
  get(ref: BlobRef): Promise<Buffer | undefined>;
  getInfo(ref: BlobRef): Promise<BlobInfo | undefined>;
  create(ref: BlobRef, content: Buffer | string, options?: { contentType?: string; metadata?: Record<string, string> }): Promise<void>;
  /** Server-side copy; metadata is set on the target. Resolves once the copy is no longer pending. */
  copy(source: BlobRef, target: BlobRef, metadata: Record<string, string>, signal?: AbortSignal): Promise<CopyState>;
  delete(ref: BlobRef): Promise<void>;
  ensureContainer(container: string): Promise<void>;
  /** The blob's URL (without credentials). */
  url(ref: BlobRef): string;
}
