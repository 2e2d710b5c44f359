import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CosmosClient } from '@azure/cosmos';
import { BlobServiceClient } from '@azure/storage-blob';
import https from 'node:https';
import type { LocalStack, StackPorts } from '../../devhost/localStack/stack';
import { startDevhost } from '../support/devhostProcess';
import packageJson from '../../package.json';
import { bodyOf } from '../support/json';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startLocalStack } = require('../../dist/devhost/localStack/stack') as typeof import('../../devhost/localStack/stack');

function listenOn(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/** Ports nothing listens on now: fixed numbers collided with a test stack moved by CANOPY_TEST_*_PORT. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => listenOn(0)));
  const found = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return found;
}

const repoRoot = path.resolve(__dirname, '../..');

function clients(stack: LocalStack) {
  const key = stack.cosmosConnectionString.split('AccountKey=')[1].replace(/;$/, '');
  return {
    blobs: BlobServiceClient.fromConnectionString(stack.storageConnectionString),
    cosmos: new CosmosClient({
      endpoint: stack.cosmosEndpoint,
      key,
      agent: new https.Agent({ rejectUnauthorized: false }),
      connectionPolicy: { enableEndpointDiscovery: false },
    }),
  };
}

describe('local stack', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-stack-'));
  let ports: StackPorts;
  let functionsPort: number;
  beforeAll(async () => {
    const [blob, queue, table, cosmos, functions] = await freePorts(5);
    ports = { blob, queue, table, cosmos };
    functionsPort = functions;
  });
  afterAll(() => fs.rmSync(stateDir, { recursive: true, force: true }));

  it('keeps blobs and Cosmos documents across a restart', async () => {
    let stack = await startLocalStack(stateDir, ports);
    try {
      const { blobs, cosmos } = clients(stack);
      const container = blobs.getContainerClient('kept');
      await container.createIfNotExists();
      await container.getBlockBlobClient('a/b.txt').upload('still here', 10);
      const { database } = await cosmos.databases.createIfNotExists({ id: 'canopy' });
      const { container: runs } = await database.containers.createIfNotExists({ id: 'runs', partitionKey: { paths: ['/pipeline'] } });
      await runs.items.create({ id: 'run-1', pipeline: 'fashion', accuracy: 0.91 });
      await runs.items.upsert({ id: 'run-2', pipeline: 'fashion', accuracy: 0.93 });
      await runs.item('run-2', 'fashion').replace({ id: 'run-2', pipeline: 'fashion', accuracy: 0.94 });
      await runs.items.create({ id: 'run-3', pipeline: 'fashion', accuracy: 0.5 });
      await runs.item('run-3', 'fashion').delete();
    } finally {
      await stack.stop();
    }

    stack = await startLocalStack(stateDir, ports);
    try {
      const { blobs, cosmos } = clients(stack);
      const text = await blobs.getContainerClient('kept').getBlobClient('a/b.txt').downloadToBuffer();
      expect(text.toString()).toBe('still here');
      const runs = cosmos.database('canopy').container('runs');
      const { resources } = await runs.items.query('SELECT c.id, c.accuracy FROM c ORDER BY c.accuracy DESC').fetchAll();
      expect(resources).toEqual([
        { id: 'run-2', accuracy: 0.94 },
        { id: 'run-1', accuracy: 0.91 },
      ]);
      const { resource: created } = await runs.items.create({ id: 'run-4', pipeline: 'fashion' });
      expect(created?._rid).toBeDefined();
      const { resource: partitionKey } = await runs.read();
      expect(partitionKey?.partitionKey?.paths).toEqual(['/pipeline']);
    } finally {
      await stack.stop();
    }
  });

  it('names the port and the setting when a port is taken', async () => {
    const blocker = await listenOn(ports.queue);
    try {
      await expect(startLocalStack(stateDir, ports)).rejects.toThrow(
        new RegExp(`Port ${ports.queue} \\(Azurite queue\\) is already in use.*set CANOPY_QUEUE_PORT`),
      );
    } finally {
      blocker.close();
    }
  });

  it('tells which setting moves the Functions host off a busy port', async () => {
    const blocker = await listenOn(functionsPort);
    try {
      const result = spawnSync(
        process.execPath,
        [path.join(repoRoot, 'dist/devhost/main.js'), '--app', path.join(__dirname, '../fixtures/httpApp')],
        {
          env: { ...process.env, CANOPY_FUNCTIONS_PORT: String(functionsPort), CANOPY_STATE_DIR: stateDir },
          encoding: 'utf8',
          timeout: 20_000,
        },
      );
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`Port ${functionsPort} is already in use; set CANOPY_FUNCTIONS_PORT`));
    } finally {
      blocker.close();
    }
  });

  it('GET /api/health reports storage and Cosmos up, then Cosmos down without failing', async () => {
    const stack = await startLocalStack(stateDir, ports);
    const key = stack.cosmosConnectionString.split('AccountKey=')[1].replace(/;$/, '');
    const host = await startDevhost({
      appDir: repoRoot,
      env: {
        AzureWebJobsStorage: stack.storageConnectionString,
        CANOPY_COSMOS_ENDPOINT: stack.cosmosEndpoint,
        CANOPY_COSMOS_EMULATOR_KEY: key,
        CANOPY_HEALTH_TIMEOUT_MS: '2000',
      },
    });
    try {
      const up = await fetch(`${host.baseUrl}/api/health`);
      expect(up.status).toBe(200);
      const upBody = await bodyOf(up);
      expect(upBody).toMatchObject({ status: 'healthy', version: packageJson.version });
      expect(upBody.dependencies.storage.status).toBe('up');
      expect(upBody.dependencies.cosmos.status).toBe('up');

      await stack.stopCosmos();
      const started = Date.now();
      const down = await fetch(`${host.baseUrl}/api/health`);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(down.status).toBe(503);
      const downBody = await bodyOf(down);
      expect(downBody.status).toBe('degraded');
      expect(downBody.dependencies.storage.status).toBe('up');
      expect(downBody.dependencies.cosmos.status).toBe('down');
      expect(typeof downBody.dependencies.cosmos.error).toBe('string');
    } finally {
      await host.stop();
      await stack.stop();
    }
  });
});
