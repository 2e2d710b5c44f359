import path from 'node:path';
import { startLocalApp } from './localApp';

/**
 * `npm start`: the local stack (Azurite + Cosmos DB emulator) and the devhost running this app,
 * all on loopback with their state under `.canopy/`. Ctrl-C stops everything.
 */
async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..');
  const local = await startLocalApp(root, process.env);
  let stopping = false;
  const stop = (code: number): void => {
    if (stopping) return;
    stopping = true;
    local.stop().then(
      () => {
        console.log('Local stack stopped.');
        process.exit(code);
      },
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
  void local.exited.then((code) => {
    if (!stopping) {
      console.error(`The Functions host exited (code ${code ?? 'signal'}); stopping the local stack.`);
      stop(code ?? 1);
    }
  });
  const { stack, baseUrl, keys } = local;
  console.log(
    [
      '',
      '  Canopy local stack is running (Ctrl-C stops it)',
      `    Functions        ${baseUrl}/api   (health: ${baseUrl}/api/health, API: ${baseUrl}/api/openapi.json)`,
      `    Azurite blob     http://127.0.0.1:${stack.ports.blob}/devstoreaccount1`,
      `    Azurite queue    http://127.0.0.1:${stack.ports.queue}/devstoreaccount1`,
      `    Azurite table    http://127.0.0.1:${stack.ports.table}/devstoreaccount1`,
      `    Cosmos DB        ${stack.cosmosEndpoint}  (self-signed certificate)`,
      `    state            ${local.stateDir}`,
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
