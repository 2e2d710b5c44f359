import https from 'node:https';
import { CosmosClient } from '@azure/cosmos';
import { BlobServiceClient } from '@azure/storage-blob';
import { CanopyConfig } from '../../config';
import { defaultAzureCredential as azureCredential } from './azureCredential';

/** Azure Storage in Azure (managed identity) or Azurite locally (its connection string). */
export function createBlobServiceClient(cfg: CanopyConfig): BlobServiceClient {
  if (cfg.storage.connectionString) return BlobServiceClient.fromConnectionString(cfg.storage.connectionString);
  return new BlobServiceClient(cfg.storage.blobServiceUri ?? '', azureCredential());
}

/** Cosmos DB with the managed identity, or the local emulator with its key and its self-signed certificate accepted by this client only. */
export function createCosmosClient(cfg: CanopyConfig): CosmosClient {
  if (cfg.cosmos.emulator) {
    return new CosmosClient({
      endpoint: cfg.cosmos.endpoint,
      key: cfg.cosmos.emulatorKey,
      agent: new https.Agent({ rejectUnauthorized: false, keepAlive: true }),
      connectionPolicy: {
        enableEndpointDiscovery: false,
        retryOptions: { maxRetryAttemptCount: 2, fixedRetryIntervalInMilliseconds: 200, maxWaitTimeInSeconds: 5 },
      },
    });
  }
  return new CosmosClient({ endpoint: cfg.cosmos.endpoint, aadCredentials: azureCredential() });
}
