import { CanopyConfig } from '../../config';
import { BlobCopier } from '../../ports/blobCopier';
import { AzureBlobCopier } from './blobCopyPager';
import { copyAccounts } from './blobCopySource';

/** One copier per source connection (the app's own storage without one), built on first use. */
export function blobCopiers(cfg: CanopyConfig): (connection?: string) => BlobCopier {
  const built = new Map<string, BlobCopier>();
  return (connection) => {
    const key = connection?.toUpperCase() ?? '';
    let copier = built.get(key);
    if (!copier) {
      const { source, access, target } = copyAccounts(cfg, connection);
      copier = new AzureBlobCopier(source, access, target);
      built.set(key, copier);
    }
    return copier;
  };
}
