import { BlobServiceClient } from '@azure/storage-blob';
import { DependencyProbe } from '../../ports/dependencyProbe';

/** Storage answers when its blob service returns its properties. */
export class BlobStorageProbe implements DependencyProbe {
  readonly name = 'storage';
  constructor(private readonly blobs: BlobServiceClient) {}

  async check(signal: AbortSignal): Promise<void> {
    await this.blobs.listContainers({ abortSignal: signal }).byPage({ maxPageSize: 1 }).next();
  }
}
