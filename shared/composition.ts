import { CosmosClient } from '@azure/cosmos';
import { BlobServiceClient } from '@azure/storage-blob';
import { createBlobServiceClient, createCosmosClient } from './adapters/azure/clients';
import { BlobStorageProbe } from './adapters/azure/storageProbe';
import { CosmosProbe } from './adapters/azure/cosmosProbe';
import { CanopyConfig, config } from './config';
import { DependencyProbe } from './ports/dependencyProbe';

/** The adapters of one process, built once from the configuration. */
export interface Composition {
  config: CanopyConfig;
  blobs: BlobServiceClient;
  cosmos: CosmosClient;
  healthProbes: DependencyProbe[];
}

export function compose(cfg: CanopyConfig): Composition {
  const blobs = createBlobServiceClient(cfg);
  const cosmos = createCosmosClient(cfg);
  return { config: cfg, blobs, cosmos, healthProbes: [new BlobStorageProbe(blobs), new CosmosProbe(cosmos)] };
}

let composition: Composition | undefined;

export function app(): Composition {
  composition ??= compose(config());
  return composition;
}
