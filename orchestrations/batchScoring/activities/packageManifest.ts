import { BlobStore } from '../../../shared/ports/blobStore';
import { BlobLocation } from '../contracts';

export interface PackageManifest {
  task: string;
  labels: string[];
}

/**
 * The container and folder of a blob URL as `BlobStore.url` makes them: Azure
 * (`https://<account>.blob.core.windows.net/<container>/<folder>/`) or Azurite, which puts the
 * account first in the path (`http://127.0.0.1:10000/<account>/<container>/<folder>/`).
 */
export function blobLocationOf(url: string): BlobLocation {
  const parsed = new URL(url);
  const parts = parsed.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const accountInPath = parsed.hostname === '127.0.0.1' || parsed.hostname === 'localhost';
  const [container, ...folder] = accountInPath ? parts.slice(1) : parts;
  if (!container) throw new Error(`${url} names no blob container`);
  return { container, prefix: folder.length > 0 ? `${folder.join('/')}/` : '' };
}

/** The task and labels of a registered model package, or undefined when its manifest cannot be read. */
export async function readPackageManifest(blobs: BlobStore, packageUri: string): Promise<PackageManifest | undefined> {
  let location: BlobLocation;
  try {
    location = blobLocationOf(packageUri);
  } catch {
    return undefined;
  }
  const text = await blobs.get({ container: location.container, name: `${location.prefix}manifest.json` });
  if (!text) return undefined;
  const manifest = JSON.parse(text.toString('utf8')) as Partial<PackageManifest>;
  if (typeof manifest.task !== 'string' || !Array.isArray(manifest.labels)) return undefined;
  return { task: manifest.task, labels: manifest.labels.map(String) };
}
