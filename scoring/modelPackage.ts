import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BlobServiceClient, ContainerClient, RestError } from '@azure/storage-blob';
import { DefaultAzureCredential } from '@azure/identity';
import { PackageReadError, transientStatus } from './loadRetry';
import { ManifestError, ModelManifest, parseManifest } from './manifest';

export interface LoadedPackage {
  uri: string;
  manifest: ModelManifest;
  modelBytes: Buffer;
}

type FileReader = (name: string) => Promise<Buffer>;

function localReader(dir: string): FileReader {
  return async (name) => fs.promises.readFile(path.join(dir, name));
}

/**
 * The SDK's default waits 4 s, then 8 s, … after a refused connection; storage that restarts is back sooner, and
 * `retryWhileTransient` keeps trying after these.
 */
const quickRetries = { maxTries: 3, retryDelayInMs: 250, maxRetryDelayInMs: 1000 };

/** `https://<account>/<container>/<prefix>/`: read with a connection string when given (Azurite), else the managed identity. */
function blobReader(uri: string, connectionString: string | undefined): FileReader {
  const url = new URL(uri);
  // Blob URLs percent-encode names (a space is %20); the container client wants them decoded.
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  // Azurite puts the account name first in the path.
  const accountInPath = url.hostname === '127.0.0.1' || url.hostname === 'localhost';
  const [container, ...prefix] = accountInPath ? parts.slice(1) : parts;
  const service = connectionString
    ? BlobServiceClient.fromConnectionString(connectionString, { retryOptions: quickRetries })
    : new BlobServiceClient(`${url.protocol}//${url.host}${accountInPath ? `/${parts[0]}` : ''}`, new DefaultAzureCredential(), {
        retryOptions: quickRetries,
      });
  const client: ContainerClient = service.getContainerClient(container);
  const base = prefix.length > 0 ? `${prefix.join('/')}/` : '';
  return async (name) => {
    try {
      return await client.getBlobClient(`${base}${name}`).downloadToBuffer();
    } catch (err) {
      const status = (err as RestError).statusCode;
      const why = status === 404 ? 'no such blob' : status ? `HTTP ${status}` : (err as Error).message;
      throw new PackageReadError(`cannot read ${base}${name} from container ${container}: ${why}`, transientStatus(status));
    }
  };
}

/** Loads a model package by URI (`file://`, Azure Blob or Azurite) and checks every file against the manifest's sha256. */
export async function loadModelPackage(uri: string, connectionString?: string): Promise<LoadedPackage> {
  const read = uri.startsWith('file:')
    ? localReader(fileURLToPath(uri))
    : /^https?:/.test(uri)
      ? blobReader(uri, connectionString)
      : localReader(uri);
  const manifest = parseManifest((await read('manifest.json')).toString('utf8'));
  const modelBytes = await read(manifest.model.file);
  const digest = createHash('sha256').update(modelBytes).digest('hex');
  if (digest !== manifest.sha256[manifest.model.file]) {
    throw new ManifestError(`${manifest.model.file} does not match its sha256 in manifest.json (got ${digest})`);
  }
  return { uri, manifest, modelBytes };
}
