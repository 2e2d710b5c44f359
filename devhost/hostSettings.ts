import { createHash } from 'node:crypto';
import path from 'node:path';

/** Everything the devhost takes from its environment, read once. */
export interface HostSettings {
  appDir: string;
  host: string;
  port: number;
  stateDir: string;
  hostId: string;
  appName: string;
  maxBodyBytes: number;
  blobPollMs: number;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`Setting ${name}=${JSON.stringify(raw)} must be a positive integer.`);
  return value;
}

export function readHostSettings(appDir: string, env: NodeJS.ProcessEnv, overrides: Partial<HostSettings> = {}): HostSettings {
  const absoluteApp = path.resolve(appDir);
  const hostId = env.AzureFunctionsWebHost__hostid ?? createHash('sha1').update(absoluteApp).digest('hex').slice(0, 32);
  return {
    appDir: absoluteApp,
    host: env.CANOPY_HOST_ADDRESS ?? '127.0.0.1',
    port: positiveInt(env, 'CANOPY_FUNCTIONS_PORT', 7071),
    stateDir: path.resolve(env.CANOPY_STATE_DIR ?? path.join(absoluteApp, '.canopy')),
    hostId: hostId
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '')
      .slice(0, 32),
    appName: env.WEBSITE_SITE_NAME ?? 'Host',
    maxBodyBytes: positiveInt(env, 'FUNCTIONS_REQUEST_BODY_SIZE_LIMIT', 100 * 1024 * 1024),
    blobPollMs: positiveInt(env, 'CANOPY_BLOB_POLL_MS', 1000),
    ...overrides,
  };
}
