import path from 'node:path';
import { parseArgs } from 'node:util';
import { readLocalSettings } from './appFiles';
import { DurableExtension } from './durable/durableExtension';
import { startHost } from './host';
import { readHostSettings } from './hostSettings';

const usage = 'usage: node dist/devhost/main.js [--app <folder>] [--port <n>]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { app: { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const appDir = path.resolve(values.app ?? process.cwd());
  // As `func start` does: local.settings.json Values become app settings; the environment wins.
  for (const [key, value] of Object.entries(readLocalSettings(appDir))) {
    if (process.env[key] === undefined) process.env[key] = value;
  }
  const settings = readHostSettings(appDir, process.env, values.port ? { port: Number(values.port) } : {});
  const host = await startHost(settings, [new DurableExtension()]).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') {
      throw new Error(`Port ${settings.port} is already in use; set CANOPY_FUNCTIONS_PORT (or --port) to another port.`);
    }
    throw err;
  });

  console.log(`\nFunctions host ready at ${host.baseUrl} (host id ${settings.hostId})`);
  for (const fn of host.functions) {
    console.log(`  ${fn.name}: ${fn.trigger}${fn.route ? `  ${fn.route}  [${fn.authLevel}]` : ''}`);
  }
  console.log(`  function key (default): ${host.keys.functionKeys.default}`);
  console.log(`  master key:             ${host.keys.masterKey}\n`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`Received ${signal}; stopping the Functions host.`);
    host.stop().then(
      () => process.exit(0),
      (err: Error) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: Error) => {
  console.error(`devhost: ${err.message}`);
  process.exit(1);
});
