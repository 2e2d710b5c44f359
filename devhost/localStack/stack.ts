import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { assertPortFree, waitForPort } from './ports';

/** Azurite's and the Cosmos DB emulator's published development keys (not secrets). */
export const azuriteAccount = 'devstoreaccount1';
export const azuriteKey = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
export const cosmosEmulatorKey = 'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';

export interface StackPorts {
  blob: number;
  queue: number;
  table: number;
  cosmos: number;
}

export const portSettings: Record<keyof StackPorts, [string, number, string]> = {
  blob: ['CANOPY_BLOB_PORT', 10000, 'Azurite blob'],
  queue: ['CANOPY_QUEUE_PORT', 10001, 'Azurite queue'],
  table: ['CANOPY_TABLE_PORT', 10002, 'Azurite table'],
  cosmos: ['CANOPY_COSMOS_PORT', 8081, 'Cosmos DB emulator'],
};

export function stackPorts(env: NodeJS.ProcessEnv): StackPorts {
  const read = (key: keyof StackPorts): number => {
    const [setting, fallback] = portSettings[key];
    const raw = env[setting];
    const port = raw ? Number(raw) : fallback;
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`${setting}=${raw} is not a TCP port.`);
    return port;
  };
  return { blob: read('blob'), queue: read('queue'), table: read('table'), cosmos: read('cosmos') };
}

export interface StackEndpoints {
  storageConnectionString: string;
  cosmosEndpoint: string;
  cosmosConnectionString: string;
  ports: StackPorts;
}

export function stackEndpoints(host: string, ports: StackPorts): StackEndpoints {
  const cosmosEndpoint = `https://${host}:${ports.cosmos}/`;
  return {
    ports,
    storageConnectionString:
      `DefaultEndpointsProtocol=http;AccountName=${azuriteAccount};AccountKey=${azuriteKey};` +
      `BlobEndpoint=http://${host}:${ports.blob}/${azuriteAccount};QueueEndpoint=http://${host}:${ports.queue}/${azuriteAccount};` +
      `TableEndpoint=http://${host}:${ports.table}/${azuriteAccount};`,
    cosmosEndpoint,
    cosmosConnectionString: `AccountEndpoint=${cosmosEndpoint};AccountKey=${cosmosEmulatorKey};`,
  };
}

export interface LocalStack extends StackEndpoints {
  stopAzurite(): Promise<void>;
  stopCosmos(): Promise<void>;
  stop(): Promise<void>;
  /** SIGKILLs Azurite and the Cosmos DB emulator, as a crash would: neither gets to save anything. */
  crash(): Promise<void>;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

function launch(script: string, args: string[], logFile: string, preload: string[] = []): ChildProcess {
  const log = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [...preload.flatMap((file) => ['--require', file]), script, ...args], {
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  return child;
}

export interface StackOptions {
  host?: string;
  /** Azurite with its blob lookups by name (azuriteIndexedLookups.ts); off only to measure the stock emulator. */
  indexedBlobLookups?: boolean;
  /** Azurite with its metadata journal (azuriteJournal.ts); off only to measure or show the stock emulator's loss on a crash. */
  journaledMetadata?: boolean;
}

/**
 * Starts Azurite (blob, queue, table) and the Cosmos DB emulator on loopback, each in its own
 * process, with their data under `stateDir` so that a restart keeps it.
 */
export async function startLocalStack(stateDir: string, ports: StackPorts, options: StackOptions = {}): Promise<LocalStack> {
  const { host = '127.0.0.1', indexedBlobLookups = true, journaledMetadata = true } = options;
  for (const key of Object.keys(ports) as (keyof StackPorts)[]) {
    const [setting, , what] = portSettings[key];
    await assertPortFree(host, ports[key], setting, what);
  }
  const azuriteDir = path.join(stateDir, 'azurite');
  const cosmosDir = path.join(stateDir, 'cosmos');
  fs.mkdirSync(azuriteDir, { recursive: true });
  fs.mkdirSync(cosmosDir, { recursive: true });

  const azurite = launch(
    require.resolve('azurite/dist/src/azurite.js'),
    [
      '--location',
      azuriteDir,
      '--blobHost',
      host,
      '--blobPort',
      String(ports.blob),
      '--queueHost',
      host,
      '--queuePort',
      String(ports.queue),
      '--tableHost',
      host,
      '--tablePort',
      String(ports.table),
      '--skipApiVersionCheck',
      '--loose',
      '--silent',
      '--disableTelemetry',
    ],
    path.join(stateDir, 'azurite.log'),
    [
      ...(indexedBlobLookups ? [path.join(__dirname, 'azuriteIndexedLookups.js')] : []),
      ...(journaledMetadata ? [path.join(__dirname, 'azuriteJournal.js')] : []),
    ],
  );
  const cosmos = launch(
    path.join(__dirname, 'cosmosEmulatorMain.js'),
    ['--host', host, '--port', String(ports.cosmos), '--location', cosmosDir],
    path.join(stateDir, 'cosmos.log'),
  );
  const alive = (child: ChildProcess) => () => child.exitCode === null && child.signalCode === null;
  try {
    await Promise.all([
      waitForPort(host, ports.blob, 30_000, alive(azurite)),
      waitForPort(host, ports.queue, 30_000, alive(azurite)),
      waitForPort(host, ports.table, 30_000, alive(azurite)),
      waitForPort(host, ports.cosmos, 30_000, alive(cosmos)),
    ]);
  } catch (err) {
    await Promise.all([stopChild(azurite), stopChild(cosmos)]);
    throw new Error(`The local stack did not start (${(err as Error).message}); see ${stateDir}/azurite.log and cosmos.log.`);
  }
  return {
    ...stackEndpoints(host, ports),
    stopAzurite: () => stopChild(azurite),
    stopCosmos: () => stopChild(cosmos),
    stop: async () => {
      await Promise.all([stopChild(azurite), stopChild(cosmos)]);
    },
    crash: async () => {
      await Promise.all([killChild(azurite), killChild(cosmos)]);
    },
  };
}
