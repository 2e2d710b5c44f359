import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { Container, CosmosClient, SqlQuerySpec } from '@azure/cosmos';

/* eslint-disable @typescript-eslint/no-require-imports */
const { createCosmosClient } = require('../../dist/shared/adapters/azure/clients') as typeof import('../../shared/adapters/azure/clients');
const { cosmosEmulatorKey } = require('../../dist/devhost/localStack/stack') as typeof import('../../devhost/localStack/stack');
const { installCosmosQueryPatches } =
  require('../../dist/devhost/localStack/cosmosQueryPatches') as typeof import('../../devhost/localStack/cosmosQueryPatches');
const cosmosQuery = require('@zeit/cosmosdb-query') as typeof import('@zeit/cosmosdb-query');
/* eslint-enable @typescript-eslint/no-require-imports */

const emulatorMain = path.join(__dirname, '../../dist/devhost/localStack/cosmosEmulatorMain.js');

interface Running {
  child: ChildProcess;
  client: CosmosClient;
}

/** The emulator as the local stack runs it: its own process, on a free port, persisted under `dataDir`. */
async function startEmulator(dataDir: string, extraArgs: string[] = []): Promise<Running> {
  const child = spawn(process.execPath, [emulatorMain, '--port', '0', '--location', dataDir, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`emulator exited ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /listening on https:\/\/[^:]+:(\d+)\//.exec(String(chunk));
      if (match) resolve(Number(match[1]));
    });
  });
  const agent = new https.Agent({ rejectUnauthorized: false, keepAlive: true });
  return { child, client: createCosmosClient(`https://127.0.0.1:${port}/`, { key: cosmosEmulatorKey, agent }) };
}

async function stop(running: Running, signal: NodeJS.Signals): Promise<void> {
  const exited = new Promise((resolve) => running.child.once('exit', resolve));
  running.child.kill(signal);
  await exited;
}

async function runsContainer(client: CosmosClient): Promise<Container> {
  const { database } = await client.databases.createIfNotExists({ id: 'canopy' });
  const { container } = await database.containers.createIfNotExists({ id: 'runs', partitionKey: { paths: ['/pipeline'] } });
  return container;
}

interface Row {
  id: string;
  pipeline: string;
  n: number;
}

const ids = (rows: Row[]): string[] => rows.map((r) => `${r.pipeline}/${r.id}`);

/** Every page of a query, `pageSize` documents at a time, so continuations are exercised too. */
async function allPages(container: Container, query: SqlQuerySpec, options: { partitionKey?: string; pageSize: number }): Promise<Row[]> {
  const iterator = container.items.query<Row>(query, { partitionKey: options.partitionKey, maxItemCount: options.pageSize });
  const rows: Row[] = [];
  while (iterator.hasMoreResults()) rows.push(...(await iterator.fetchNext()).resources);
  return rows;
}

describe('patched query compiler', () => {
  const values = [3, 'b', null, true, [1], { x: 1 }, 1.5, 'a', false, 3];
  const docs = values.flatMap((v, i) => [
    { id: `v${i}`, _rid: `r${String(i).padStart(2, '0')}`, k: v, n: i % 3, tags: [{ t: i }, { t: i + 1 }] },
    { id: `m${i}`, _rid: `s${String(i).padStart(2, '0')}`, n: i % 3 },
  ]);
  const queries = [
    'SELECT * FROM c ORDER BY c.k',
    'SELECT * FROM c ORDER BY c.k DESC',
    'SELECT TOP 4 c.id FROM c WHERE c.n = 1 ORDER BY c.k DESC',
    'SELECT c.id, t.t FROM c JOIN t IN c.tags WHERE t.t > 3',
    'SELECT VALUE COUNT(1) FROM c WHERE IS_DEFINED(c.k)',
    'SELECT * FROM c WHERE c.n = 2',
  ];
  const run = (options: { maxItemCount?: number; continuation?: { token: string } }) =>
    queries.map((sql) => cosmosQuery.default(sql).exec(docs, options));

  it('answers, orders and pages exactly as the unpatched package does', () => {
    const before = [run({}), run({ maxItemCount: 3 })];
    const pageTwoBefore = queries.map((sql, i) => {
      const token = before[1][i].continuation;
      return token ? cosmosQuery.default(sql).exec(docs, { maxItemCount: 3, continuation: token }) : undefined;
    });
    installCosmosQueryPatches();
    expect(cosmosQuery.default('SELECT * FROM c').code).toContain('$.push(');
    expect([run({}), run({ maxItemCount: 3 })]).toEqual(before);
    const pageTwoAfter = queries.map((sql, i) => {
      const token = before[1][i].continuation;
      return token ? cosmosQuery.default(sql).exec(docs, { maxItemCount: 3, continuation: token }) : undefined;
    });
    expect(pageTwoAfter).toEqual(pageTwoBefore);
    expect(pageTwoBefore.filter(Boolean).length).toBeGreaterThan(2);
  });
});

describe('local Cosmos emulator', () => {
  const dirs: string[] = [];
  const running: Running[] = [];
  const dataDir = (): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-cosmos-emulator-'));
    dirs.push(dir);
    return dir;
  };
  const start = async (dir: string, extraArgs?: string[]): Promise<Running> => {
    const started = await startEmulator(dir, extraArgs);
    running.push(started);
    return started;
  };
  afterAll(async () => {
    await Promise.all(running.filter((r) => r.child.exitCode === null && r.child.signalCode === null).map((r) => stop(r, 'SIGTERM')));
    dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true }));
  });

  describe('queries', () => {
    let container: Container;
    const pipelines = ['alpha', 'beta', 'gamma'];

    beforeAll(async () => {
      container = await runsContainer((await start(dataDir())).client);
      for (let n = 0; n < 30; n += 1) await container.items.upsert({ id: `doc-${n}`, pipeline: pipelines[n % 3], n });
      // Replaced and deleted documents must leave the partition index as they leave the container.
      await container.items.upsert({ id: 'doc-4', pipeline: 'beta', n: 104 });
      await container.item('doc-7', 'beta').delete();
      await container.items.upsert({ id: 'doc-7', pipeline: 'alpha', n: 7 });
    });

    it.each(pipelines)('answers a query scoped to partition %s exactly as a filter over every partition', async (pipeline) => {
      const filtered = {
        query: 'SELECT * FROM c WHERE c.pipeline = @p AND c.n >= @min ORDER BY c.n DESC',
        parameters: [
          { name: '@p', value: pipeline },
          { name: '@min', value: 3 },
        ],
      };
      const everything = await allPages(container, { query: 'SELECT * FROM c ORDER BY c.n DESC' }, { pageSize: 100 });
      const expected = everything.filter((r) => r.pipeline === pipeline && r.n >= 3);
      expect(expected.length).toBeGreaterThan(5);
      expect(ids(await allPages(container, filtered, { partitionKey: pipeline, pageSize: 3 }))).toEqual(ids(expected));
      expect(ids(await allPages(container, filtered, { pageSize: 3 }))).toEqual(ids(expected));
    });

    it('keeps insertion order for an unordered scoped query', async () => {
      const everything = await allPages(container, { query: 'SELECT * FROM c' }, { pageSize: 100 });
      const scoped = await allPages(container, { query: 'SELECT * FROM c' }, { partitionKey: 'alpha', pageSize: 4 });
      expect(ids(scoped)).toEqual(ids(everything.filter((r) => r.pipeline === 'alpha')));
      expect(scoped.map((r) => r.id)).toContain('doc-7');
    });

    it('still answers cross-partition queries over every partition', async () => {
      const rows = await allPages(container, { query: 'SELECT * FROM c WHERE c.n < 1000' }, { pageSize: 7 });
      expect(rows).toHaveLength(30);
      expect(new Set(rows.map((r) => r.pipeline))).toEqual(new Set(pipelines));
      expect(rows.find((r) => r.id === 'doc-4')?.n).toBe(104);
    });

    it('scopes to the partition a filter names through a literal or a reversed comparison', async () => {
      const literal = await allPages(container, { query: "SELECT * FROM r WHERE 'gamma' = r.pipeline" }, { pageSize: 50 });
      expect(literal.length).toBeGreaterThan(0);
      expect(literal.every((r) => r.pipeline === 'gamma')).toBe(true);
      const none = await allPages(container, { query: "SELECT * FROM c WHERE c.pipeline = 'delta'" }, { pageSize: 50 });
      expect(none).toEqual([]);
    });
  });

  it('replays its journal after a SIGKILL, across compactions, and keeps deletes', async () => {
    const dir = dataDir();
    // A small journal bound: several compactions happen while writing, then the kill lands mid-journal.
    const args = ['--compact-bytes', '4000'];
    let emulator = await start(dir, args);
    let container = await runsContainer(emulator.client);
    for (let n = 0; n < 40; n += 1) await container.items.upsert({ id: `kept-${n}`, pipeline: `p${n % 4}`, n });
    await container.items.upsert({ id: 'kept-5', pipeline: 'p1', n: 500 });
    await container.item('kept-6', 'p2').delete();
    const { resource: before } = await container.item('kept-9', 'p1').read<Row & { _etag: string; _rid: string }>();
    await stop(emulator, 'SIGKILL');
    // A write cut short by the kill leaves half a record: it was never acknowledged, and the replay stops before it.
    const journals = fs.readdirSync(dir).filter((name) => name.startsWith('cosmos.journal.'));
    expect(journals).toHaveLength(1);
    fs.appendFileSync(path.join(dir, journals[0]), '{"level":"doc","in":"');

    emulator = await start(dir, args);
    container = await runsContainer(emulator.client);
    const rows = await allPages(container, { query: 'SELECT * FROM c' }, { pageSize: 100 });
    expect(rows).toHaveLength(39);
    expect(rows.find((r) => r.id === 'kept-5')?.n).toBe(500);
    expect(rows.some((r) => r.id === 'kept-6')).toBe(false);
    const { resource: after } = await container.item('kept-9', 'p1').read<Row & { _etag: string; _rid: string }>();
    expect({ etag: after?._etag, rid: after?._rid }).toEqual({ etag: before?._etag, rid: before?._rid });
    const scoped = await allPages(container, { query: 'SELECT * FROM c' }, { partitionKey: 'p1', pageSize: 100 });
    expect(scoped.map((r) => r.id).sort()).toEqual(
      rows
        .filter((r) => r.pipeline === 'p1')
        .map((r) => r.id)
        .sort(),
    );

    // New documents get fresh rids after the replay: none collides with a replayed one.
    const { resource: created } = await container.items.create<Row>({ id: 'new', pipeline: 'p0', n: -1 });
    expect(rows.map((r) => (r as Row & { _rid: string })._rid)).not.toContain(created?._rid);
    await stop(emulator, 'SIGKILL');

    emulator = await start(dir, args);
    container = await runsContainer(emulator.client);
    expect(await allPages(container, { query: 'SELECT * FROM c' }, { pageSize: 100 })).toHaveLength(40);
  });
});
