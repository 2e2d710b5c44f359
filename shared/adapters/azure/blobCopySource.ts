import { BlobSASPermissions, BlobServiceClient, generateBlobSASQueryParameters, UserDelegationKey } from '@azure/storage-blob';
import { CanopyConfig, CopySourceConfig } from '../../config';
import { CanopyError } from '../../errors';
import { TokenCredential } from '@azure/core-auth';
import { defaultAzureCredential } from './azureCredential';

/** Gives the URL the target account reads a source blob from: the blob's URL with a short-lived read-only SAS. */
export interface SourceUrlSigner {
  signedUrl(container: string, name: string): Promise<string>;
}

/** How the target reads one source blob: its URL and, where the URL carries no signature, an OAuth token for it. */
export interface CopySourceAccess {
  url: string;
  sourceAuthorization?: { scheme: 'Bearer'; value: string };
}

/**
 * Authorises the target to read a source blob. Where it can, without a signature in the URL: the service records the
 * copy's source URL in the target blob's copy properties (`x-ms-copy-source`), where any reader of the blob sees it.
 */
export interface CopySourceAuthorizer {
  /** `sync`: the copy is one Copy Blob From URL request (OAuth source authorisation allowed), else an asynchronous Copy Blob. */
  access(container: string, name: string, sync: boolean): Promise<CopySourceAccess>;
}

/** Every copy through a signed URL: for sources no credential of the target's can read. */
export const signedSource = (signer: SourceUrlSigner): CopySourceAuthorizer => ({
  access: async (container, name) => ({ url: await signer.signedUrl(container, name) }),
});

/**
 * The app's own local storage (Azurite): a copy within one account is authorised by the copy request's own shared
 * key, so the source is its bare URL and nothing secret is recorded with the copy.
 */
export const sameAccountSource = (service: BlobServiceClient): CopySourceAuthorizer => ({
  access: async (container, name) => ({ url: service.getContainerClient(container).getBlobClient(name).url }),
});

/** The scope of the token that authorises reading a blob as the app's identity. */
const storageScope = 'https://storage.azure.com/.default';

/**
 * An account the app's identity can read: Copy Blob From URL gets the identity's token as the source's authorisation,
 * and an asynchronous copy within the same account is authorised by the request itself; only an asynchronous copy
 * from another account (Copy Blob takes no OAuth source authorisation) falls back to a user-delegation SAS.
 */
export class IdentitySource implements CopySourceAuthorizer {
  readonly #signer: UserDelegationSigner;

  constructor(
    private readonly service: BlobServiceClient,
    private readonly sameAccountAsTarget: boolean,
    private readonly credential: TokenCredential = defaultAzureCredential(),
  ) {
    this.#signer = new UserDelegationSigner(service);
  }

  async access(container: string, name: string, sync: boolean): Promise<CopySourceAccess> {
    const url = this.service.getContainerClient(container).getBlobClient(name).url;
    if (!sync) return this.sameAccountAsTarget ? { url } : { url: await this.#signer.signedUrl(container, name) };
    const token = await this.credential.getToken(storageScope);
    if (!token) throw new CanopyError('STORAGE.FORBIDDEN', 'no token for reading the copy source', true);
    return { url, sourceAuthorization: { scheme: 'Bearer', value: token.token } };
  }
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
  /** How copies read the source: without a signed URL wherever a credential of the target's can read it. */
  access: CopySourceAuthorizer;
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
  const signer = named.connectionString ? sharedKeySigner(source) : new UserDelegationSigner(source);
  const ownAccount = connection === undefined;
  const access = !named.connectionString
    ? new IdentitySource(source, ownAccount)
    : ownAccount && cfg.runtime === 'local'
      ? sameAccountSource(source)
      : signedSource(signer);
  return { source, signer, access, target: serviceClient(own) };
}
