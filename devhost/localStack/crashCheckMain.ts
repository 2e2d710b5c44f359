import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeCrashAndCount } from './crashCheck';
import { StackPorts } from './stack';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Measures what the local stack keeps after a `kill -9` of Azurite and the Cosmos emulator, with
 * Azurite's metadata journal and without it (stock Azurite), and prints the counts as JSON.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { writes: { type: 'string', default: '200' }, out: { type: 'string' } } });
  const writes = Number(values.writes);
  if (!Number.isInteger(writes) || writes <= 0) throw new Error('usage: crashCheckMain [--writes <n>] [--out <file.json>]');
  const results = [];
  for (const journaledMetadata of [false, true]) {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-crash-check-'));
    const ports: StackPorts = { blob: await freePort(), queue: await freePort(), table: await freePort(), cosmos: await freePort() };
    try {
      results.push(await writeCrashAndCount(stateDir, ports, writes, { journaledMetadata }));
    } finally {
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  }
  const report = JSON.stringify({ writesPerKind: writes, results }, null, 2);
  if (values.out) fs.writeFileSync(values.out, `${report}\n`);
  console.log(report);
}

main().catch((err: Error) => {
  console.error(`crash check: ${err.message}`);
  process.exit(1);
});
