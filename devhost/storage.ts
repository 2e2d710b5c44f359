import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';

export class ConnectionSettingError extends Error {
  readonly code = 'DEVHOST.CONNECTION_SETTING';
}

/** Resolves a binding's `connection` (an app setting name; empty means AzureWebJobsStorage). */
export function connectionString(settingName: unknown, env: NodeJS.ProcessEnv): string {
  const name = typeof settingName === 'string' && settingName !== '' ? settingName : 'AzureWebJobsStorage';
  const value = env[name] ?? env[`AzureWebJobs${name}`];
  if (!value) {
    throw new ConnectionSettingError(
      `The app setting "${name}" is not set; put a storage connection string in local.settings.json Values.`,
    );
  }
  return value;
}

export interface StorageClients {
  blobs: BlobServiceClient;
  queues: QueueServiceClient;
}

const cache = new Map<string, StorageClients>();

export function storageClients(connection: string): StorageClients {
  let clients = cache.get(connection);
  if (!clients) {
    clients = {
      blobs: BlobServiceClient.fromConnectionString(connection),
      queues: QueueServiceClient.fromConnectionString(connection),
    };
    cache.set(connection, clients);
  }
  return clients;
}

/** The container the Functions host keeps its own state in (blob receipts, timer status). */
export const hostsContainer = 'azure-webjobs-hosts';
