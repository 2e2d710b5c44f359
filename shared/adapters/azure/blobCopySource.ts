import { BlobSASPermissions, BlobServiceClient, generateBlobSASQueryParameters, UserDelegationKey } from '@azure/storage-blob';
import { CanopyConfig, CopySourceConfig } from '../../config';
import { CanopyError } from '../../errors';
import { defaultAzureCredential } from './azureCredential';

/** Gives the URL the target account reads a source blob from: the blob's URL with a short-lived read-only SAS. */
export interface SourceUrlSigner {
  signedUrl(container: string, name: string): Promise<string>;
}

/** How long a source SAS is valid: long enough for the copy to start, which is when the target reads it. */
const sasLifetimeMs = 60 * 60_000;
const read = BlobSASPermissions.parse('r');

/** Local accounts (Azurite) are reached with their shared key, which signs the SAS. */
export function sharedKeySigner(service: BlobServiceClient): SourceUrlSigner {
  return {
    signedUrl: (container, name) =>
      service
        .getContainerClient(container)
        .getBlobClient(name)
        .generateSasUrl({ permissions: read, expiresOn: new Date(Date.now() + sasLifetimeMs) }),
  };
}

/**
 * In Azure the identity asks the source account for a user-delegation key (role Storage Blob Delegator) and signs
 * the SAS with it, so no account key or stored SAS exists. One key serves many copies until shortly before it expires.
 */
export class UserDelegationSigner implements SourceUrlSigner {
  #key?: Promise<UserDelegationKey>;
  #keyExpiresAt = 0;

  constructor(private readonly service: BlobServiceClient) {}

  async signedUrl(container: string, name: string): Promise<string> {
    const now = Date.now();
    // A SAS may not outlive its key: renew the key while it still covers a whole SAS lifetime.
    if (!this.#key || this.#keyExpiresAt - now < sasLifetimeMs + 5 * 60_000) {
      this.#keyExpiresAt = now + 3 * sasLifetimeMs;
      this.#key = this.service.getUserDelegationKey(new Date(now - 5 * 60_000), new Date(this.#keyExpiresAt));
      this.#key.catch(() => (this.#key = undefined));
    }
    const sas = generateBlobSASQueryParameters(
      {
        containerName: container,
        blobName: name,
        permissions: read,
        startsOn: new Date(now - 5 * 60_000),
        expiresOn: new Date(now + sasLifetimeMs),
      },
      await this.#key,
      this.service.accountName,
    );
    return `${this.service.getContainerClient(container).getBlobClient(name).url}?${sas.toString()}`;
  }
}

// Throttling is retried by the copier itself, honouring Retry-After; the SDK's retries would stack on top of it.
const noSdkRetries = { retryOptions: { maxTries: 1 } };

function serviceClient(account: CopySourceConfig): BlobServiceClient {
  if (account.connectionString) return BlobServiceClient.fromConnectionString(account.connectionString, noSdkRetries);
  return new BlobServiceClient(account.blobServiceUri ?? '', defaultAzureCredential(), noSdkRetries);
}

/** The spec names a data source connection the app has no settings for: permanent. */
export class UnknownCopySourceError extends CanopyError {
  constructor(message: string) {
    super('DATA.UNKNOWN_CONNECTION', message, false);
  }
}

export interface CopyAccounts {
  source: BlobServiceClient;
  signer: SourceUrlSigner;
  target: BlobServiceClient;
}

/**
 * The accounts a copy reads and writes: the source named by the spec's `data.source.connection` (the app's own
 * storage without one) and the app's storage as the target.
 */
export function copyAccounts(cfg: CanopyConfig, connection?: string): CopyAccounts {
  const own: CopySourceConfig = { connectionString: cfg.storage.connectionString, blobServiceUri: cfg.storage.blobServiceUri };
  const named = connection === undefined ? own : cfg.copySources[connection.toUpperCase()];
  if (!named)
    throw new UnknownCopySourceError(
      `data source connection ${connection} is not configured (CANOPY_SOURCE_${connection?.toUpperCase()}_BLOB_URI)`,
    );
  const source = serviceClient(named);
  return {
    source,
    signer: named.connectionString ? sharedKeySigner(source) : new UserDelegationSigner(source),
    target: serviceClient(own),
  };
}
