import { BlobServiceClient } from '@azure/storage-blob';
import path from 'node:path';
import { createAciDeployer } from './adapters/azure/aciFactory';
import { createAksDeployer } from './adapters/azure/aksFactory';
import { AzureBlobStore } from './adapters/azure/azureBlobStore';
import { blobCopiers } from './adapters/azure/blobCopyFactory';
import { createBlobServiceClient, createCosmosClient } from './adapters/azure/clients';
import { CosmosDeploymentMetrics } from './adapters/azure/cosmosDeploymentMetrics';
import { CosmosModelRegistry } from './adapters/azure/cosmosModelRegistry';
import { CosmosResourceLedger } from './adapters/azure/cosmosResourceLedger';
import { CosmosRunStore } from './adapters/azure/cosmosRunStore';
import { openCanopyContainers } from './adapters/azure/cosmosSchema';
import { CosmosSpecStore } from './adapters/azure/cosmosSpecStore';
import { CosmosProbe } from './adapters/azure/cosmosProbe';
import { createHdinsightComputeTarget } from './adapters/azure/hdinsightFactory';
import { ArmResourceInventory } from './adapters/azure/armResourceInventory';
import { BlobStorageProbe } from './adapters/azure/storageProbe';
import { LocalScorerDeployer } from './adapters/local/localScorerDeployer';
import { LocalSparkComputeTarget } from './adapters/local/localSparkComputeTarget';
import { CanopyConfig, config } from './config';
import { PriceTable } from './domain/cost';
import { ComputeTargetKind, DeploymentTargetKind } from './domain/pipelineSpec';
import { BlobCopier } from './ports/blobCopier';
import { BlobStore } from './ports/blobStore';
import { Clock, systemClock } from './ports/clock';
import { ComputeTarget } from './ports/computeTarget';
import { Deployer } from './ports/deployer';
import { DeploymentMetricsStore } from './ports/deploymentMetrics';
import { DependencyProbe } from './ports/dependencyProbe';
import { ModelRegistry } from './ports/modelRegistry';
import { ResourceInventory } from './ports/resourceInventory';
import { ResourceLedger } from './ports/resourceLedger';
import { RunStore } from './ports/runStore';
import { SpecStore } from './ports/specStore';

/** The adapters of one process, built once from the configuration. */
export interface Composition {
  config: CanopyConfig;
  blobService: BlobServiceClient;
  blobs: BlobStore;
  specs: SpecStore;
  runs: RunStore;
  registry: ModelRegistry;
  deploymentMetrics: DeploymentMetricsStore;
  ledger: ResourceLedger;
  compute(kind: ComputeTargetKind): ComputeTarget;
  deployer(kind: DeploymentTargetKind): Deployer;
  /** Copies data into the app's storage from the source account a spec's `data.source.connection` names. */
  copier(connection?: string): BlobCopier;
  clock: Clock;
  prices: PriceTable;
  /** The compute resource group's Canopy-tagged resources, for the reaper; absent without Azure resources. */
  inventory?: ResourceInventory;
}

export class UnavailableTargetError extends Error {
  readonly code = 'CONFIG.TARGET_UNAVAILABLE';
}

export async function compose(cfg: CanopyConfig): Promise<Composition> {
  const blobService = createBlobServiceClient(cfg);
  const cosmos = createCosmosClient(cfg);
  const containers = await openCanopyContainers(cosmos, cfg.cosmos.database);
  const blobs = new AzureBlobStore(blobService);
  const localSpark = new LocalSparkComputeTarget({
    rootDir: path.join(cfg.local.stateDir, 'compute'),
    jobsDir: cfg.local.jobsDir,
    modelsDir: cfg.local.modelsDir,
    blobs,
  });
  const localScorer = new LocalScorerDeployer({
    rootDir: path.join(cfg.local.stateDir, 'deployments'),
    scorerEntry: cfg.local.scorerEntry,
    storageConnectionString: cfg.storage.connectionString,
  });
  let hdinsight: ComputeTarget | undefined;
  let aci: Deployer | undefined;
  let aks: Deployer | undefined;
  return {
    config: cfg,
    blobService,
    blobs,
    specs: new CosmosSpecStore(containers.specs),
    runs: new CosmosRunStore(containers.runs),
    registry: new CosmosModelRegistry(containers.models),
    deploymentMetrics: new CosmosDeploymentMetrics(containers.models),
    ledger: new CosmosResourceLedger(containers.ledger),
    compute(kind) {
      if (kind === 'local-spark' && cfg.runtime === 'local') return localSpark;
      if (kind === 'hdinsight' && cfg.azure) return (hdinsight ??= createHdinsightComputeTarget(cfg, cfg.azure, blobs));
      throw new UnavailableTargetError(`compute target ${kind} is not available in the ${cfg.runtime} runtime`);
    },
    deployer(kind) {
      if (kind === 'local' && cfg.runtime === 'local') return localScorer;
      if (kind === 'aci' && cfg.azure) return (aci ??= createAciDeployer(cfg, cfg.azure));
      if (kind === 'aks' && cfg.azure?.aks) return (aks ??= createAksDeployer(cfg, { ...cfg.azure, aks: cfg.azure.aks }));
      throw new UnavailableTargetError(`deployment target ${kind} is not available in the ${cfg.runtime} runtime`);
    },
    copier: blobCopiers(cfg),
    clock: systemClock,
    prices: cfg.prices,
    inventory: cfg.azure ? new ArmResourceInventory(cfg.azure) : undefined,
  };
}

let probes: DependencyProbe[] | undefined;

/** Health probes need no database set-up, so they answer even when Cosmos DB does not. */
export function healthProbes(): DependencyProbe[] {
  const cfg = config();
  probes ??= [new BlobStorageProbe(createBlobServiceClient(cfg)), new CosmosProbe(createCosmosClient(cfg))];
  return probes;
}

let composition: Promise<Composition> | undefined;

/** The process's adapters; a failed start (e.g. Cosmos unreachable) is retried on the next call. */
export function app(): Promise<Composition> {
  composition ??= compose(config()).catch((err: unknown) => {
    composition = undefined;
    throw err;
  });
  return composition;
}
