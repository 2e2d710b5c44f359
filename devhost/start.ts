import { spawn } from 'node:child_process';
import path from 'node:path';
import { loadOrCreateKeys } from './keys';
import { startLocalStack, stackPorts } from './localStack/stack';

/**
 * `npm start`: the local stack (Azurite + Cosmos DB emulator) and the devhost running this app,
 * all on loopback with their state under `.canopy/`. Ctrl-C stops everything.
 */
async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..');
  const stateDir = path.resolve(process.env.CANOPY_LOCAL_STATE ?? path.join(root, '.canopy'));
  const functionsPort = Number(process.env.CANOPY_FUNCTIONS_PORT ?? 7071);
  const stack = await startLocalStack(stateDir, stackPorts(process.env));
  const hostState = path.join(stateDir, 'devhost');
  const keys = loadOrCreateKeys(hostState);

  const env = {
    ...process.env,
    FUNCTIONS_WORKER_RUNTIME: 'node',
    CANOPY_RUNTIME: 'local',
    AzureWebJobsStorage: stack.storageConnectionString,
    CANOPY_COSMOS_ENDPOINT: stack.cosmosEndpoint,
    CANOPY_COSMOS_EMULATOR_KEY: stack.cosmosConnectionString.split('AccountKey=')[1].replace(/;$/, ''),
    CANOPY_STATE_DIR: hostState,
    CANOPY_FUNCTIONS_PORT: String(functionsPort),
  };
  const devhost = spawn(process.execPath, [path.join(__dirname, 'main.js'), '--app', root], { env, stdio: 'inherit' });

  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    if (devhost.exitCode === null) {
      devhost.kill('SIGTERM');
      await new Promise((resolve) => devhost.once('exit', resolve));
    }
    await stack.stop();
    console.log('Local stack stopped.');
    process.exit(code);
  };
  devhost.once('exit', (code) => {
    if (!stopping) {
      console.error(`The Functions host exited (code ${code ?? 'signal'}); stopping the local stack.`);
      void stop(code ?? 1);
    }
  });
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  const base = `http://127.0.0.1:${functionsPort}`;
  for (let i = 0; i < 300 && !stopping; i++) {
    const ready = await fetch(`${base}/admin/host/status`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (stopping) return;
  console.log(
    [
      '',
      '  Canopy local stack is running (Ctrl-C stops it)',
      `    Functions        ${base}/api   (health: ${base}/api/health)`,
      `    Azurite blob     http://127.0.0.1:${stack.ports.blob}/devstoreaccount1`,
      `    Azurite queue    http://127.0.0.1:${stack.ports.queue}/devstoreaccount1`,
      `    Azurite table    http://127.0.0.1:${stack.ports.table}/devstoreaccount1`,
      `    Cosmos DB        ${stack.cosmosEndpoint}  (self-signed certificate)`,
      `    state            ${stateDir}`,
      '',
      `    AzureWebJobsStorage  ${stack.storageConnectionString}`,
      `    Cosmos DB            ${stack.cosmosConnectionString}`,
      `    function key         ${keys.functionKeys.default}   (x-functions-key header or ?code=)`,
      `    master key           ${keys.masterKey}`,
      '',
    ].join('\n'),
  );
}

main().catch((err: Error) => {
  console.error(`canopy: ${err.message}`);
  process.exit(1);
});
