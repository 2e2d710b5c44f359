import fs from 'node:fs';
import path from 'node:path';
import packageJson from '../package.json';
import { defaultPrices, PriceTable } from './domain/cost';
import { CanopyError } from './errors';

/**
 * The only reader of `process.env`. Everything the app is configured with is validated here
 * once, at start, and handed around frozen.
 */
export type Runtime = 'local' | 'azure';

export interface StorageConfig {
  /** Local: a connection string (Azurite). Azure: the account's blob endpoint, reached with the managed identity. */
  connectionString?: string;
  blobServiceUri?: string;
  queueServiceUri?: string;
}

export interface CosmosConfig {
  endpoint: string;
  database: string;
  /** Only the local emulator's well-known key; in Azure the managed identity is used. */
  emulatorKey?: string;
  /** The emulator's certificate is self-signed: verification is relaxed for this client only. */
  emulator: boolean;
}

/** Where the local stack's compute and deployments live, and what they run. */
export interface LocalConfig {
  stateDir: string;
  jobsDir: string;
  modelsDir: string;
  scorerEntry: string;
}

/**
 * Where the Azure compute and deployment targets (HDInsight, ACI, AKS) create resources, and how they reach them.
 * Always present in the azure runtime; in the local runtime only when CANOPY_ARM_ENDPOINT points at the loopback
 * fakes of ARM and Livy (`devhost/azureFakes/`), which is how the Azure adapters are proven offline.
 */
export interface AzureResourcesConfig {
  subscriptionId: string;
  computeResourceGroup: string;
  /** Region of the clusters and container groups. */
  location: string;
  /** Azure Resource Manager; a loopback fake in tests. */
  armEndpoint: string;
  /** Livy's base URL with `{cluster}` where the cluster name goes. */
  livyEndpoint: string;
  /** True against the loopback fakes (ARM on loopback, local runtime): the composition root gives the adapters the fakes' token. */
  fakes: boolean;
  /** Holds the cluster gateway password (secret `hdinsight.gatewayPasswordSecret`); absent only against the fakes. */
  keyVaultUri?: string;
  hdinsight: {
    gatewayUser: string;
    gatewayPasswordSecret: string;
    /** Only against the local fakes, which have no Key Vault; refused in the azure runtime. */
    gatewayPassword?: string;
    /** Public key for the cluster nodes' SSH user (public, not a secret); without it SSH is given the gateway password. */
    sshPublicKey?: string;
  };
  /** The ADLS Gen2 account the clusters use as default storage (jobs, featurizer, staged inputs, outputs). */
  clusterStorage: { blobServiceUri?: string; resourceId: string; container: string };
  /** The user-assigned identity clusters and scorer containers run as (storage access without keys). */
  workloadIdentity: { resourceId: string; clientId: string };
  /** The model server's container image (scoring/Dockerfile), pulled by ACI and AKS. */
  scorerImage: string;
  /** An existing AKS cluster in the compute resource group; the aks target is unavailable without it. */
  aks?: { cluster: string; namespace: string };
}

/**
 * A storage account a pipeline's data may be copied from, named by the spec's `data.source.connection`.
 * Azure: its blob endpoint, read with the managed identity (copies are authorised with a user-delegation SAS the
 * identity obtains). Locally: a connection string (Azurite). No SAS or key is ever configured for Azure.
 */
export interface CopySourceConfig {
  blobServiceUri?: string;
  connectionString?: string;
}

/** Tuning of the scoring function (optional everywhere; the defaults suit both runtimes). */
export interface ScoringConfig {
  /** How long one attempt at a deployment may take before the next healthy deployment is tried. */
  timeoutMs: number;
  /** How often an instance adds its in-memory deployment metrics to the store. */
  metricsFlushSeconds: number;
  /** How often an instance re-reads the traffic split of the models it serves (it reads none per request). */
  trafficRefreshMs: number;
}

export interface CanopyConfig {
  runtime: Runtime;
  version: string;
  storage: StorageConfig;
  cosmos: CosmosConfig;
  /** Absent in the local runtime unless the Azure fakes are configured. */
  azure?: AzureResourcesConfig;
  /** Node-hour (and ACI vCPU/GB-hour) prices in USD, the defaults overridden by CANOPY_PRICES. */
  prices: PriceTable;
  /** Source accounts by connection name (upper case), from CANOPY_SOURCE_<NAME>_BLOB_URI / _CONNECTION_STRING. */
  copySources: Record<string, CopySourceConfig>;
  healthTimeoutMs: number;
  /** How often orchestrations poll long-running operations. */
  pollSeconds: number;
  scoring: ScoringConfig;
  local: LocalConfig;
}

/** The app settings are wrong: permanent until someone fixes them. */
export class ConfigError extends CanopyError {
  constructor(readonly problems: string[]) {
    super('CONFIG.INVALID', `Canopy configuration is invalid:\n  - ${problems.join('\n  - ')}`, false, { problems });
  }
}

/** The settings the app reads in Azure mode; infra/ must set exactly these. */
export const azureSettingNames = [
  'CANOPY_RUNTIME',
  'AzureWebJobsStorage__blobServiceUri',
  'AzureWebJobsStorage__queueServiceUri',
  'CANOPY_COSMOS_ENDPOINT',
  'CANOPY_COSMOS_DATABASE',
  'CANOPY_SUBSCRIPTION_ID',
  'CANOPY_COMPUTE_RESOURCE_GROUP',
  'CANOPY_LOCATION',
  'CANOPY_KEY_VAULT_URI',
  'CANOPY_CLUSTER_STORAGE_URI',
  'CANOPY_CLUSTER_STORAGE_RESOURCE_ID',
  'CANOPY_WORKLOAD_IDENTITY_ID',
  'CANOPY_WORKLOAD_IDENTITY_CLIENT_ID',
  'CANOPY_SCORER_IMAGE',
] as const;

/** Optional Azure-mode settings with defaults; infra/ may set them, the app works without them. */
export const optionalAzureSettingNames = [
  'CANOPY_ARM_ENDPOINT',
  'CANOPY_LIVY_ENDPOINT',
  'CANOPY_HDINSIGHT_GATEWAY_USER',
  'CANOPY_HDINSIGHT_GATEWAY_SECRET',
  'CANOPY_HDINSIGHT_SSH_PUBLIC_KEY',
  'CANOPY_CLUSTER_STORAGE_CONTAINER',
  'CANOPY_AKS_CLUSTER',
  'CANOPY_AKS_NAMESPACE',
  'CANOPY_PRICES',
] as const;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

/** The repository (or deployed app) root: the folder whose package.json is Canopy's. */
function appRoot(): string {
  let dir = __dirname;
  while (dir !== path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (
      fs.existsSync(manifest) &&
      (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === packageJson.name &&
      !dir.endsWith(`${path.sep}dist`)
    )
      return dir;
    dir = path.dirname(dir);
  }
  return process.cwd();
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, problems: string[]): number {
  const value = Number(env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) problems.push(`${name} must be a positive number.`);
  return value;
}

function isUrl(value: string, protocols: string[]): boolean {
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

const guid = /^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i;

function isLoopback(url: string): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname);
}

function readAzureResources(env: NodeJS.ProcessEnv, runtime: Runtime, problems: string[]): AzureResourcesConfig | undefined {
  const armEndpoint = env.CANOPY_ARM_ENDPOINT ?? 'https://management.azure.com';
  if (runtime !== 'azure' && env.CANOPY_ARM_ENDPOINT === undefined) return undefined;
  const before = problems.length;
  if (!isUrl(armEndpoint, ['https:', 'http:'])) {
    problems.push('CANOPY_ARM_ENDPOINT must be the Azure Resource Manager URL.');
    return undefined;
  }
  const fakes = runtime !== 'azure';
  if (fakes && !isLoopback(armEndpoint))
    problems.push('CANOPY_ARM_ENDPOINT in the local runtime must be a loopback fake; real Azure needs CANOPY_RUNTIME=azure.');
  if (!fakes && !isUrl(armEndpoint, ['https:'])) problems.push('CANOPY_ARM_ENDPOINT must be https in the azure runtime.');
  const required = (name: string, valid: (v: string) => boolean, what: string): string => {
    const value = env[name] ?? '';
    if (!valid(value)) problems.push(`${name} must be ${what}.`);
    return value;
  };
  const armId = (v: string) => /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/[^/]+\/[^/]+\/[^/]+$/i.test(v);
  const subscriptionId = required('CANOPY_SUBSCRIPTION_ID', (v) => guid.test(v), 'a subscription id (a GUID)');
  const computeResourceGroup = required('CANOPY_COMPUTE_RESOURCE_GROUP', (v) => /^[-\w.()]{0,89}[-\w()]$/.test(v), 'a resource group name');
  const location = required('CANOPY_LOCATION', (v) => /^[a-z0-9]+$/.test(v), 'an Azure region name (e.g. eastus)');
  const keyVaultUri = fakes
    ? env.CANOPY_KEY_VAULT_URI
    : required('CANOPY_KEY_VAULT_URI', (v) => isUrl(v, ['https:']), 'the https URI of the Key Vault');
  const gatewayPassword = env.CANOPY_HDINSIGHT_GATEWAY_PASSWORD;
  if (!fakes && gatewayPassword)
    problems.push('CANOPY_HDINSIGHT_GATEWAY_PASSWORD is for the local fakes only; in Azure the password is read from Key Vault.');
  if (fakes && !gatewayPassword && !keyVaultUri)
    problems.push('CANOPY_HDINSIGHT_GATEWAY_PASSWORD (or CANOPY_KEY_VAULT_URI) must be set for the Livy fake.');
  const clusterStorageUri = env.CANOPY_CLUSTER_STORAGE_URI;
  if (!fakes && (!clusterStorageUri || !isUrl(clusterStorageUri, ['https:'])))
    problems.push("CANOPY_CLUSTER_STORAGE_URI must be the https blob endpoint of the clusters' ADLS Gen2 account.");
  const clusterStorageResourceId = required(
    'CANOPY_CLUSTER_STORAGE_RESOURCE_ID',
    armId,
    "the resource id of the clusters' storage account",
  );
  const identityId = required('CANOPY_WORKLOAD_IDENTITY_ID', armId, 'the resource id of the user-assigned workload identity');
  const identityClientId = required(
    'CANOPY_WORKLOAD_IDENTITY_CLIENT_ID',
    (v) => guid.test(v),
    'the client id (a GUID) of the workload identity',
  );
  const scorerImage = required(
    'CANOPY_SCORER_IMAGE',
    (v) => /^[\w.-]+(:\d+)?(\/[\w.-]+)+(:[\w.-]+|@sha256:[0-9a-f]{64})$/.test(v),
    'a container image reference with a tag or digest',
  );
  const livyEndpoint = env.CANOPY_LIVY_ENDPOINT ?? 'https://{cluster}.azurehdinsight.net/livy';
  if (!livyEndpoint.includes('{cluster}') || !isUrl(livyEndpoint.replace('{cluster}', 'c'), fakes ? ['http:', 'https:'] : ['https:']))
    problems.push('CANOPY_LIVY_ENDPOINT must be a URL with {cluster} where the cluster name goes.');
  const container = env.CANOPY_CLUSTER_STORAGE_CONTAINER ?? 'canopy-cluster';
  if (!/^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/.test(container))
    problems.push('CANOPY_CLUSTER_STORAGE_CONTAINER must be a container name.');
  const aksCluster = env.CANOPY_AKS_CLUSTER;
  if (aksCluster !== undefined && !/^[a-zA-Z0-9][-_a-zA-Z0-9]{0,62}$/.test(aksCluster))
    problems.push('CANOPY_AKS_CLUSTER must be an AKS cluster name.');
  if (problems.length > before) return undefined;
  return {
    subscriptionId,
    computeResourceGroup,
    location,
    armEndpoint,
    livyEndpoint,
    fakes,
    keyVaultUri,
    hdinsight: {
      gatewayUser: env.CANOPY_HDINSIGHT_GATEWAY_USER ?? 'canopy',
      gatewayPasswordSecret: env.CANOPY_HDINSIGHT_GATEWAY_SECRET ?? 'hdinsight-gateway-password',
      gatewayPassword: fakes ? gatewayPassword : undefined,
      sshPublicKey: env.CANOPY_HDINSIGHT_SSH_PUBLIC_KEY,
    },
    clusterStorage: { blobServiceUri: clusterStorageUri, resourceId: clusterStorageResourceId, container },
    workloadIdentity: { resourceId: identityId, clientId: identityClientId },
    scorerImage,
    aks: aksCluster ? { cluster: aksCluster, namespace: env.CANOPY_AKS_NAMESPACE ?? 'canopy' } : undefined,
  };
}

const copySourceSetting = /^CANOPY_SOURCE_([A-Z_][A-Z0-9_]*)_(BLOB_URI|CONNECTION_STRING)$/;

function readCopySources(env: NodeJS.ProcessEnv, runtime: Runtime, problems: string[]): Record<string, CopySourceConfig> {
  const sources: Record<string, CopySourceConfig> = {};
  for (const [name, value] of Object.entries(env)) {
    const match = copySourceSetting.exec(name);
    if (!match || value === undefined) continue;
    const source = (sources[match[1]] ??= {});
    if (match[2] === 'BLOB_URI') {
      if (!isUrl(value, runtime === 'azure' ? ['https:'] : ['https:', 'http:'])) problems.push(`${name} must be a blob endpoint URL.`);
      source.blobServiceUri = value;
    } else {
      if (runtime === 'azure') problems.push(`${name} is for the local runtime only; in Azure the source is read with the identity.`);
      source.connectionString = value;
    }
  }
  return sources;
}

function readPrices(env: NodeJS.ProcessEnv, problems: string[]): PriceTable {
  if (!env.CANOPY_PRICES) return { ...defaultPrices };
  try {
    const overrides = JSON.parse(env.CANOPY_PRICES) as unknown;
    if (!overrides || typeof overrides !== 'object' || Array.isArray(overrides)) throw new Error('not an object');
    for (const [size, price] of Object.entries(overrides)) {
      if (typeof price !== 'number' || !(price >= 0)) throw new Error(`the price of ${size} is not a non-negative number`);
    }
    return { ...defaultPrices, ...(overrides as PriceTable) };
  } catch (err) {
    problems.push(`CANOPY_PRICES must be a JSON object of USD prices per node-hour by VM size (${(err as Error).message}).`);
    return { ...defaultPrices };
  }
}

export function loadConfig(env: NodeJS.ProcessEnv): CanopyConfig {
  const problems: string[] = [];
  const runtime = (env.CANOPY_RUNTIME ?? 'local') as Runtime;
  if (runtime !== 'local' && runtime !== 'azure')
    problems.push(`CANOPY_RUNTIME must be "local" or "azure" (got "${String(env.CANOPY_RUNTIME)}").`);

  const storage: StorageConfig = {};
  if (runtime === 'azure') {
    storage.blobServiceUri = env.AzureWebJobsStorage__blobServiceUri;
    storage.queueServiceUri = env.AzureWebJobsStorage__queueServiceUri;
    if (!storage.blobServiceUri || !isUrl(storage.blobServiceUri, ['https:']))
      problems.push('AzureWebJobsStorage__blobServiceUri must be the https blob endpoint of the storage account.');
    if (!storage.queueServiceUri || !isUrl(storage.queueServiceUri, ['https:']))
      problems.push('AzureWebJobsStorage__queueServiceUri must be the https queue endpoint of the storage account.');
  } else {
    storage.connectionString = env.AzureWebJobsStorage;
    if (!storage.connectionString) problems.push('AzureWebJobsStorage must hold the local storage (Azurite) connection string.');
  }

  const endpoint = env.CANOPY_COSMOS_ENDPOINT ?? '';
  if (!isUrl(endpoint, ['https:'])) problems.push('CANOPY_COSMOS_ENDPOINT must be the https endpoint of the Cosmos DB account.');
  const emulatorKey = env.CANOPY_COSMOS_EMULATOR_KEY;
  if (runtime === 'azure' && emulatorKey)
    problems.push('CANOPY_COSMOS_EMULATOR_KEY is for the local emulator only; in Azure the managed identity is used.');
  if (runtime === 'local' && !emulatorKey)
    problems.push('CANOPY_COSMOS_EMULATOR_KEY must hold the Cosmos DB emulator key when CANOPY_RUNTIME is local.');

  const azure = readAzureResources(env, runtime, problems);
  const prices = readPrices(env, problems);
  const copySources = readCopySources(env, runtime, problems);

  const healthTimeoutMs = Number(env.CANOPY_HEALTH_TIMEOUT_MS ?? 3000);
  if (!Number.isInteger(healthTimeoutMs) || healthTimeoutMs <= 0) problems.push('CANOPY_HEALTH_TIMEOUT_MS must be a positive integer.');
  const pollSeconds = positiveNumber(env, 'CANOPY_POLL_SECONDS', runtime === 'azure' ? 30 : 3, problems);
  const scoring: ScoringConfig = {
    timeoutMs: positiveNumber(env, 'CANOPY_SCORING_TIMEOUT_MS', 10_000, problems),
    metricsFlushSeconds: positiveNumber(env, 'CANOPY_METRICS_FLUSH_SECONDS', 10, problems),
    trafficRefreshMs: positiveNumber(env, 'CANOPY_TRAFFIC_REFRESH_MS', 1000, problems),
  };
  const root = appRoot();
  const stateDir = path.resolve(env.CANOPY_LOCAL_STATE ?? path.join(root, '.canopy'));

  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze({
    runtime,
    version: packageJson.version,
    storage,
    azure,
    prices,
    copySources,
    cosmos: {
      endpoint,
      database: env.CANOPY_COSMOS_DATABASE ?? 'canopy',
      emulatorKey: runtime === 'local' ? emulatorKey : undefined,
      emulator: runtime === 'local',
    },
    healthTimeoutMs,
    pollSeconds,
    scoring,
    local: {
      stateDir,
      jobsDir: path.resolve(env.CANOPY_JOBS_DIR ?? path.join(root, 'jobs')),
      modelsDir: path.resolve(env.CANOPY_MODELS_DIR ?? path.join(stateDir, 'models')),
      scorerEntry: path.resolve(env.CANOPY_SCORER_ENTRY ?? path.join(root, 'dist', 'scoring', 'main.js')),
    },
  });
}

let loaded: CanopyConfig | undefined;

/** The process's configuration, read from the environment on first use. */
export function config(): CanopyConfig {
  loaded ??= loadConfig(process.env);
  return loaded;
}
