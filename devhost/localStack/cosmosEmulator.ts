import fs from 'node:fs';
import https from 'node:https';
import { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { AddressInfo } from 'node:net';

// @zeit/cosmosdb-server keeps everything in memory and hides its account inside its server
// factory; the emulator builds the server from the package's own account and routes so that it
// can persist the account to disk after every write and load it at start.
/* eslint-disable @typescript-eslint/no-require-imports */
const Account = (require('@zeit/cosmosdb-server/lib/account') as { default: new (host: string, port: number) => AccountLike }).default;
const route = (
  require('@zeit/cosmosdb-server/lib/routes') as { default: (req: IncomingMessage) => [Record<string, string>, Handler] | undefined }
).default;
const packageDir = path.dirname(require.resolve('@zeit/cosmosdb-server/package.json'));
/* eslint-enable @typescript-eslint/no-require-imports */

type Handler = (
  account: AccountLike,
  req: IncomingMessage,
  res: ServerResponse,
  params: Record<string, string>,
) => Promise<Record<string, unknown> | undefined>;

interface ItemLike<T = Record<string, unknown>> {
  read(): T | undefined;
}
interface ItemsLike<I> {
  _data: Map<string, I>;
  _ridCount: number;
  _set(data: Record<string, unknown>): unknown;
}
interface CollectionLike extends ItemLike {
  documents: ItemsLike<ItemLike>;
}
interface DatabaseLike extends ItemLike {
  collections: ItemsLike<CollectionLike>;
}
interface AccountLike {
  databases: ItemsLike<DatabaseLike>;
}

interface Snapshot {
  version: 1;
  databaseRidCount: number;
  databases: {
    data: Record<string, unknown>;
    collectionRidCount: number;
    collections: { data: Record<string, unknown>; documentRidCount: number; documents: Record<string, unknown>[] }[];
  }[];
}

function readAll<I extends ItemLike>(items: ItemsLike<I>): { item: I; data: Record<string, unknown> }[] {
  return [...items._data.values()].flatMap((item) => {
    const data = item.read();
    return data ? [{ item, data }] : [];
  });
}

export function snapshotAccount(account: AccountLike): Snapshot {
  return {
    version: 1,
    databaseRidCount: account.databases._ridCount,
    databases: readAll(account.databases).map(({ item: db, data }) => ({
      data,
      collectionRidCount: db.collections._ridCount,
      collections: readAll(db.collections).map(({ item: coll, data: collData }) => ({
        data: collData,
        documentRidCount: coll.documents._ridCount,
        documents: readAll(coll.documents).map((d) => d.data),
      })),
    })),
  };
}

/** Rebuilds databases, containers and documents with their original ids, rids and etags. */
export function restoreAccount(account: AccountLike, snapshot: Snapshot): void {
  account.databases._ridCount = snapshot.databaseRidCount;
  for (const db of snapshot.databases) {
    account.databases._set(db.data);
    const database = account.databases._data.get(String(db.data._rid));
    if (!database) continue;
    database.collections._ridCount = db.collectionRidCount;
    for (const coll of db.collections) {
      database.collections._set(coll.data);
      const collection = database.collections._data.get(String(coll.data._rid));
      if (!collection) continue;
      collection.documents._ridCount = coll.documentRidCount;
      coll.documents.forEach((doc) => collection.documents._set(doc));
    }
  }
}

function isWrite(req: IncomingMessage): boolean {
  if (req.method === 'PUT' || req.method === 'DELETE') return true;
  return req.method === 'POST' && !req.headers['x-ms-documentdb-isquery'];
}

export interface CosmosEmulator {
  port: number;
  close(): Promise<void>;
}

/**
 * A Cosmos DB (NoSQL API) emulator on HTTPS with a self-signed certificate, persisted under
 * `dataDir`: each successful write rewrites the snapshot before the response is sent, so an
 * acknowledged write survives a crash.
 */
export async function startCosmosEmulator(opts: { host: string; port: number; dataDir: string }): Promise<CosmosEmulator> {
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const snapshotFile = path.join(opts.dataDir, 'cosmos.json');
  const state: { account?: AccountLike } = {};

  const persist = (): void => {
    if (!state.account) return;
    const temp = `${snapshotFile}.${process.pid}.tmp`;
    const fd = fs.openSync(temp, 'w');
    try {
      fs.writeSync(fd, JSON.stringify(snapshotAccount(state.account)));
      fs.fdatasyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, snapshotFile);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const found = route(req);
    let body: Record<string, unknown> | undefined;
    const account = state.account;
    if (!found || !account) {
      res.statusCode = 400;
      body = { message: 'no route' };
    } else {
      try {
        body = await found[1](account, req, res, found[0]);
      } catch (err) {
        res.statusCode = 500;
        body = { message: (err as Error).message };
      }
      if (res.statusCode > 399 && body && !body.message) body.message = '';
      if (res.statusCode < 400 && isWrite(req)) persist();
    }
    if (body && typeof body._etag === 'string') res.setHeader('etag', body._etag);
    res.setHeader('content-type', 'application/json');
    res.setHeader('content-location', `https://${req.headers.host ?? ''}${req.url ?? ''}`);
    res.setHeader('x-ms-activity-id', randomUUID());
    res.setHeader('x-ms-request-charge', '1');
    if (req.headers['a-im'] && res.statusCode === 200) {
      if (req.headers['if-none-match']) res.statusCode = 304;
      res.setHeader('etag', '1');
    }
    res.end(JSON.stringify(body));
  };

  const server = https.createServer(
    {
      cert: fs.readFileSync(path.join(packageDir, 'cert.pem')),
      key: fs.readFileSync(path.join(packageDir, 'key.pem')),
    },
    (req, res) => {
      handle(req, res).catch((err: Error) => {
        if (!res.headersSent) res.statusCode = 500;
        res.end(JSON.stringify({ message: err.message }));
      });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const account = new Account(opts.host, port);
  if (fs.existsSync(snapshotFile)) {
    restoreAccount(account, JSON.parse(fs.readFileSync(snapshotFile, 'utf8')) as Snapshot);
  }
  state.account = account;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
