import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { HostKeys, loadOrCreateKeys } from './keys';
import { LocalStack, startLocalStack, stackPorts } from './localStack/stack';

export interface LocalApp {
  stack: LocalStack;
  devhost: ChildProcess;
  baseUrl: string;
  keys: HostKeys;
  stateDir: string;
  /** Resolves when the devhost exits by itself. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/**
 * A log file the devhost writes is its owner's only: the devhost prints its keys at start, and
 * the file may predate this run with looser permissions.
 */
export function restrictToOwner(output: 'inherit' | 'ignore' | number): void {
  if (typeof output === 'number') fs.fchmodSync(output, 0o600);
}

/**
 * The local stack plus a devhost running the Canopy app at `root`, with the app settings that
 * point it at the stack. Used by `npm start` and `npm run demo`.
 */
export async function startLocalApp(
  root: string,
  env: NodeJS.ProcessEnv,
  output: 'inherit' | 'ignore' | number = 'inherit',
): Promise<LocalApp> {
  restrictToOwner(output);
  const stateDir = path.resolve(env.CANOPY_LOCAL_STATE ?? path.join(root, '.canopy'));
  const functionsPort = Number(env.CANOPY_FUNCTIONS_PORT ?? 7071);
  const stack = await startLocalStack(stateDir, stackPorts(env));
  const hostState = path.join(stateDir, 'devhost');
  const keys = loadOrCreateKeys(hostState);
  const devhost = spawn(process.execPath, [path.join(__dirname, 'main.js'), '--app', root], {
    env: {
      ...env,
      FUNCTIONS_WORKER_RUNTIME: 'node',
      CANOPY_RUNTIME: 'local',
      AzureWebJobsStorage: stack.storageConnectionString,
      CANOPY_COSMOS_ENDPOINT: stack.cosmosEndpoint,
      CANOPY_COSMOS_EMULATOR_KEY: stack.cosmosConnectionString.split('AccountKey=')[1].replace(/;$/, ''),
      CANOPY_STATE_DIR: hostState,
      CANOPY_LOCAL_STATE: stateDir,
      CANOPY_FUNCTIONS_PORT: String(functionsPort),
    },
    stdio: ['ignore', output, output],
  });
  const exited = new Promise<number | null>((resolve) => devhost.once('exit', (code) => resolve(code)));
  const baseUrl = `http://127.0.0.1:${functionsPort}`;
  const stop = async (): Promise<void> => {
    if (devhost.exitCode === null && devhost.signalCode === null) {
      devhost.kill('SIGTERM');
      await exited;
    }
    await stack.stop();
  };
  for (let i = 0; ; i++) {
    if (devhost.exitCode !== null) {
      await stack.stop();
      throw new Error(`the Functions host exited during start (code ${devhost.exitCode})`);
    }
    const ready = await fetch(`${baseUrl}/admin/host/status`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (i > 600) {
      await stop();
      throw new Error(`the Functions host did not answer on ${baseUrl} within a minute`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { stack, devhost, baseUrl, keys, stateDir, exited, stop };
}
