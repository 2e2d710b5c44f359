import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import type { StackPorts } from '../../devhost/localStack/stack';

/* eslint-disable @typescript-eslint/no-require-imports */
const { startLocalStack } = require('../../dist/devhost/localStack/stack') as typeof import('../../devhost/localStack/stack');
const { writeCrashAndCount } = require('../../dist/devhost/localStack/crashCheck') as typeof import('../../devhost/localStack/crashCheck');
/* eslint-enable @typescript-eslint/no-require-imports */

async function freePorts(): Promise<StackPorts> {
  const servers = await Promise.all(
    Array.from(
      { length: 4 },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer().once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const [blob, queue, table, cosmos] = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return { blob, queue, table, cosmos };
}

const writes = 60;

describe('local stack storage after a kill -9 of the whole stack', () => {
  const stateDirs: string[] = [];
  const stateDir = (): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-durability-'));
    stateDirs.push(dir);
    return dir;
  };
  afterAll(() => stateDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  it('keeps every acknowledged blob, task-hub row, queue message and Cosmos document', async () => {
    const { counts } = await writeCrashAndCount(stateDir(), await freePorts(), writes);
    for (const count of Object.values(counts)) expect(count.found).toBe(count.acknowledged);
  });

  it('finds the loss on stock Azurite, whose metadata is saved only every 5 s', async () => {
    const { counts } = await writeCrashAndCount(stateDir(), await freePorts(), writes, { journaledMetadata: false });
    const azuriteFound = counts.blobs.found + counts.tableRows.found + counts.queueMessages.found;
    expect(azuriteFound).toBeLessThan(3 * writes);
    expect(counts.cosmosDocuments.found).toBe(writes);
  });

  it('replays deletes and writes made after an earlier crash and restart', async () => {
    const dir = stateDir();
    const ports = await freePorts();
    const containerOf = (connection: string) => BlobServiceClient.fromConnectionString(connection).getContainerClient('replayed');

    let stack = await startLocalStack(dir, ports);
    await containerOf(stack.storageConnectionString).create();
    await containerOf(stack.storageConnectionString).getBlockBlobClient('first').upload('1', 1);
    await stack.crash();

    stack = await startLocalStack(dir, ports);
    await containerOf(stack.storageConnectionString).getBlockBlobClient('second').upload('2', 1);
    await containerOf(stack.storageConnectionString).getBlobClient('first').delete();
    await stack.crash();

    stack = await startLocalStack(dir, ports);
    try {
      const names: string[] = [];
      for await (const blob of containerOf(stack.storageConnectionString).listBlobsFlat()) names.push(blob.name);
      expect(names).toEqual(['second']);
      await containerOf(stack.storageConnectionString).getBlockBlobClient('third').upload('3', 1);
      expect((await containerOf(stack.storageConnectionString).getBlobClient('third').downloadToBuffer()).toString()).toBe('3');
    } finally {
      await stack.stop();
    }
  });
});
