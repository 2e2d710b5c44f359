import fs from 'node:fs';
import path from 'node:path';
import packageJson from '../package.json';

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

/** Where Azure-mode pipelines create clusters and container groups, and the vault holding the cluster gateway credential. */
export interface AzureResourcesConfig {
  subscriptionId?: string;
  computeResourceGroup?: string;
  keyVaultUri?: string;
}

export interface CanopyConfig {
  runtime: Runtime;
  version: string;
  storage: StorageConfig;
  cosmos: CosmosConfig;
  /** Empty in the local runtime. */
  azure: AzureResourcesConfig;
  healthTimeoutMs: number;
  /** How often orchestrations poll long-running operations. */
  pollSeconds: number;
  local: LocalConfig;
}

export class ConfigError extends Error {
  readonly code = 'CONFIG.INVALID';
  constructor(readonly problems: string[]) {
    super(`Canopy configuration is invalid:\n  - ${problems.join('\n  - ')}`);
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
  'CANOPY_KEY_VAULT_URI',
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

  // Optional until the Azure compute and deployment adapters read them; infra/ always sets them.
  const azure: AzureResourcesConfig = {};
  if (runtime === 'azure') {
    azure.subscriptionId = env.CANOPY_SUBSCRIPTION_ID;
    azure.computeResourceGroup = env.CANOPY_COMPUTE_RESOURCE_GROUP;
    azure.keyVaultUri = env.CANOPY_KEY_VAULT_URI;
    if (azure.subscriptionId !== undefined && !/^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(azure.subscriptionId))
      problems.push('CANOPY_SUBSCRIPTION_ID must be a subscription id (a GUID).');
    if (azure.computeResourceGroup !== undefined && !/^[-\w.()]{0,89}[-\w()]$/.test(azure.computeResourceGroup))
      problems.push('CANOPY_COMPUTE_RESOURCE_GROUP must be a resource group name.');
    if (azure.keyVaultUri !== undefined && !isUrl(azure.keyVaultUri, ['https:']))
      problems.push('CANOPY_KEY_VAULT_URI must be the https URI of the Key Vault.');
  }

  const healthTimeoutMs = Number(env.CANOPY_HEALTH_TIMEOUT_MS ?? 3000);
  if (!Number.isInteger(healthTimeoutMs) || healthTimeoutMs <= 0) problems.push('CANOPY_HEALTH_TIMEOUT_MS must be a positive integer.');
  const pollSeconds = positiveNumber(env, 'CANOPY_POLL_SECONDS', runtime === 'azure' ? 30 : 3, problems);
  const root = appRoot();
  const stateDir = path.resolve(env.CANOPY_LOCAL_STATE ?? path.join(root, '.canopy'));

  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze({
    runtime,
    version: packageJson.version,
    storage,
    azure,
    cosmos: {
      endpoint,
      database: env.CANOPY_COSMOS_DATABASE ?? 'canopy',
      emulatorKey: runtime === 'local' ? emulatorKey : undefined,
      emulator: runtime === 'local',
    },
    healthTimeoutMs,
    pollSeconds,
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
