import { parseArgs } from 'node:util';
import { startCosmosEmulator } from './cosmosEmulator';

/** Runs the Cosmos DB emulator as its own process (the local stack starts it this way). */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, host: { type: 'string' }, location: { type: 'string' }, 'compact-bytes': { type: 'string' } },
  });
  if (!values.port || !values.location) {
    throw new Error('usage: cosmosEmulatorMain --port <n> --location <dir> [--host 127.0.0.1] [--compact-bytes <journal bound>]');
  }
  const emulator = await startCosmosEmulator({
    host: values.host ?? '127.0.0.1',
    port: Number(values.port),
    dataDir: values.location,
    compactBytes: values['compact-bytes'] ? Number(values['compact-bytes']) : undefined,
  });
  console.log(`Cosmos DB emulator listening on https://${values.host ?? '127.0.0.1'}:${emulator.port}/`);
  const stop = (): void => {
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: NodeJS.ErrnoException) => {
  console.error(`cosmos emulator: ${err.message}`);
  process.exit(err.code === 'EADDRINUSE' ? 98 : 1);
});
