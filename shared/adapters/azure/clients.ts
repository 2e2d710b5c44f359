import https from 'node:https';
import { CosmosClient } from '@azure/cosmos';
import { TokenCredential } from '@azure/identity';
import { BlobServiceClient } from '@azure/storage-blob';

/** How to reach a storage account: a connection string (Azurite), or its blob endpoint with an identity. */
export type BlobServiceAccess = { connectionString: string } | { blobServiceUri: string; credential: TokenCredential };

export function createBlobServiceClient(access: BlobServiceAccess): BlobServiceClient {
  if ('connectionString' in access) return BlobServiceClient.fromConnectionString(access.connectionString);
  return new BlobServiceClient(access.blobServiceUri, access.credential);
}

/** How to reach Cosmos DB: an identity (Azure), or an account key with the TLS agent to use (the local emulator). */
export type CosmosAccess = { credential: TokenCredential } | { key: string; agent?: https.Agent };

export function createCosmosClient(endpoint: string, access: CosmosAccess): CosmosClient {
  if ('credential' in access) return new CosmosClient({ endpoint, aadCredentials: access.credential });
  return new CosmosClient({
    endpoint,
    key: access.key,
    agent: access.agent,
    // One local endpoint: no region discovery, and short retries so an absent emulator fails fast.
    connectionPolicy: {
      enableEndpointDiscovery: false,
      retryOptions: { maxRetryAttemptCount: 2, fixedRetryIntervalInMilliseconds: 200, maxWaitTimeInSeconds: 5 },
    },
  });
}
