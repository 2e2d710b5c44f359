import https from 'node:https';
import path from 'node:path';
import { CosmosClient } from '@azure/cosmos';
import { BlobServiceClient } from '@azure/storage-blob';
import { AciDeployer } from './adapters/azure/aciDeployer';
import { createAciDeployer } from './adapters/azure/aciFactory';
import { AksDeployer } from './adapters/azure/aksDeployer';
import { createAksDeployer } from './adapters/azure/aksFactory';
import { AzureBlobStore } from './adapters/azure/azureBlobStore';
import { AzureAccess, defaultAzureCredential, staticTokenCredential } from './adapters/azure/azureCredential';
import { blobCopiers } from './adapters/azure/blobCopyFactory';
import { createBlobServiceClient, createCosmosClient } from './adapters/azure/clients';
import { CosmosDeploymentMetrics } from './adapters/azure/cosmosDeploymentMetrics';
import { CosmosModelRegistry } from './adapters/azure/cosmosModelRegistry';
import { CosmosResourceLedger } from './adapters/azure/cosmosResourceLedger';
import { CosmosRunClaims } from './adapters/azure/cosmosRunClaims';
import { CosmosRunStore } from './adapters/azure/cosmosRunStore';
import { openCanopyContainers } from './adapters/azure/cosmosSchema';
import { CosmosSpecStore } from './adapters/azure/cosmosSpecStore';
import { CosmosProbe } from './adapters/azure/cosmosProbe';
import { HdinsightComputeTarget } from './adapters/azure/hdinsightComputeTarget';
import { createHdinsightComputeTarget } from './adapters/azure/hdinsightFactory';
import { keyVaultGatewayPassword } from './adapters/azure/keyVaultGatewaySecret';
import { ArmResourceInventory } from './adapters/azure/armResourceInventory';
import { BlobStorageProbe } from './adapters/azure/storageProbe';
import { LocalScorerDeployer } from './adapters/local/localScorerDeployer';
import { LocalSparkComputeTarget } from './adapters/local/localSparkComputeTarget';
import { AzureResourcesConfig, CanopyConfig, config } from './config';
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
import { RunClaims } from './ports/runClaims';
import { RunStore } from './ports/runStore';
import { SpecStore } from './ports/specStore';
import { CanopyError, permanent } from './errors';

/** The adapters of one process, built once from the configuration. */
export interface Composition {
  config: CanopyConfig;
  blobService: BlobServiceClient;
  blobs: BlobStore;
  specs: SpecStore;
  runs: RunStore;
  runClaims: RunClaims;
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

/** The spec asks for a compute or deployment target this runtime has no adapter for: permanent. */
export class UnavailableTargetError extends CanopyError {
  constructor(message: string) {
    super('CONFIG.TARGET_UNAVAILABLE', message, false);
  }
}

/**
 * The bearer token the loopback fakes of ARM and Livy (`devhost/azureFakes/`) are started with and the app presents
 * to them. It is not a secret: it only ever opens those fakes, which answer 401 to anything else.
 */
export const fakeAzureToken = 'canopy-fake-arm-token';

// The fakes serve HTTPS (the SDKs send bearer tokens over TLS only) with a self-signed certificate: a client skips
// verification only against the fakes, and only for a loopback endpoint.
let loopbackFakesAgent: https.Agent | undefined;

function isLoopback(url: string): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname);
}

/**
 * How the Azure adapters reach `endpoint` (ARM's by default) of `azure`: the app's identity and verified TLS in Azure;
 * against the loopback fakes, the fakes' token and their certificate accepted.
 */
export function azureAccess(azure: AzureResourcesConfig, endpoint = azure.armEndpoint): AzureAccess {
  if (!azure.fakes) return { credential: defaultAzureCredential() };
  if (!isLoopback(endpoint)) return { credential: staticTokenCredential(fakeAzureToken) };
  loopbackFakesAgent ??= new https.Agent({ rejectUnauthorized: false, keepAlive: true });
  return { credential: staticTokenCredential(fakeAzureToken), agent: loopbackFakesAgent };
}

/**
 * The HDInsight compute target. The gateway password is the configured one against the fakes (which have no Key
 * Vault), Key Vault's otherwise; the clusters' storage is their ADLS Gen2 account, or the app's own storage (Azurite,
 * where the Livy fake finds the abfs paths) when none is configured.
 */
export function hdinsightComputeTarget(
  cfg: Pick<CanopyConfig, 'local'>,
  azure: AzureResourcesConfig,
  data: BlobStore,
): HdinsightComputeTarget {
  const access = azureAccess(azure);
  const fixedPassword = azure.hdinsight.gatewayPassword;
  const gatewayPassword = fixedPassword
    ? async () => fixedPassword
    : keyVaultGatewayPassword(requiredKeyVaultUri(azure), azure.hdinsight.gatewayPasswordSecret, access.credential);
  const clusterStorageUri = azure.clusterStorage.blobServiceUri;
  return createHdinsightComputeTarget({
    azure,
    access,
    livyAgent: azureAccess(azure, azure.livyEndpoint.replace('{cluster}', 'cluster')).agent,
    gatewayPassword,
    data,
    clusterStorage: clusterStorageUri
      ? new AzureBlobStore(createBlobServiceClient({ blobServiceUri: clusterStorageUri, credential: access.credential }))
      : data,
    jobsDir: cfg.local.jobsDir,
    modelsDir: cfg.local.modelsDir,
  });
}

function requiredKeyVaultUri(azure: AzureResourcesConfig): string {
  if (!azure.keyVaultUri) throw permanent('CONFIG.INVALID', 'the HDInsight gateway password needs CANOPY_KEY_VAULT_URI');
  return azure.keyVaultUri;
}

export function aciDeployer(cfg: Pick<CanopyConfig, 'healthTimeoutMs'>, azure: AzureResourcesConfig): AciDeployer {
  return createAciDeployer(cfg, azure, azureAccess(azure));
}

export function aksDeployer(
  cfg: Pick<CanopyConfig, 'healthTimeoutMs'>,
  azure: AzureResourcesConfig & { aks: NonNullable<AzureResourcesConfig['aks']> },
): AksDeployer {
  return createAksDeployer(cfg, azure, azureAccess(azure));
}

export function resourceInventory(azure: AzureResourcesConfig): ArmResourceInventory {
  return new ArmResourceInventory(azure, azureAccess(azure));
}

/** The app's storage: Azurite by its connection string locally, the account with the app's identity in Azure. */
function appBlobService(cfg: CanopyConfig): BlobServiceClient {
  const { connectionString, blobServiceUri } = cfg.storage;
  if (connectionString) return createBlobServiceClient({ connectionString });
  return createBlobServiceClient({ blobServiceUri: blobServiceUri ?? '', credential: defaultAzureCredential() });
}

// The emulator's certificate is self-signed: its client alone skips verification, and only on loopback.
let emulatorAgent: https.Agent | undefined;

/** Cosmos DB with the app's identity in Azure; the local emulator with its well-known key. */
function appCosmos(cfg: CanopyConfig): CosmosClient {
  const { endpoint, emulator, emulatorKey } = cfg.cosmos;
  if (!emulator) return createCosmosClient(endpoint, { credential: defaultAzureCredential() });
  const agent = isLoopback(endpoint) ? (emulatorAgent ??= new https.Agent({ rejectUnauthorized: false, keepAlive: true })) : undefined;
  return createCosmosClient(endpoint, { key: emulatorKey ?? '', agent });
}

export async function compose(cfg: CanopyConfig): Promise<Composition> {
  const blobService = appBlobService(cfg);
  const cosmos = appCosmos(cfg);
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
    runClaims: new CosmosRunClaims(containers.runs),
    registry: new CosmosModelRegistry(containers.models),
    deploymentMetrics: new CosmosDeploymentMetrics(containers.models),
    ledger: new CosmosResourceLedger(containers.ledger),
    compute(kind) {
      if (kind === 'local-spark' && cfg.runtime === 'local') return localSpark;
      if (kind === 'hdinsight' && cfg.azure) return (hdinsight ??= hdinsightComputeTarget(cfg, cfg.azure, blobs));
      throw new UnavailableTargetError(`compute target ${kind} is not available in the ${cfg.runtime} runtime`);
    },
    deployer(kind) {
      if (kind === 'local' && cfg.runtime === 'local') return localScorer;
      if (kind === 'aci' && cfg.azure) return (aci ??= aciDeployer(cfg, cfg.azure));
      if (kind === 'aks' && cfg.azure?.aks) return (aks ??= aksDeployer(cfg, { ...cfg.azure, aks: cfg.azure.aks }));
      throw new UnavailableTargetError(`deployment target ${kind} is not available in the ${cfg.runtime} runtime`);
    },
    copier: blobCopiers(cfg),
    clock: systemClock,
    prices: cfg.prices,
    inventory: cfg.azure ? resourceInventory(cfg.azure) : undefined,
  };
}

let probes: DependencyProbe[] | undefined;

/** Health probes need no database set-up, so they answer even when Cosmos DB does not. */
export function healthProbes(): DependencyProbe[] {
  const cfg = config();
  probes ??= [new BlobStorageProbe(appBlobService(cfg)), new CosmosProbe(appCosmos(cfg))];
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
