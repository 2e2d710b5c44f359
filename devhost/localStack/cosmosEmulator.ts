import fs from 'node:fs';
import https from 'node:https';
import { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { AccountLike, openCosmosPersistence } from './cosmosJournal';
import { installCosmosQueryPatches, servedPartitionHeader } from './cosmosQueryPatches';

// @zeit/cosmosdb-server keeps everything in memory and hides its account inside its server
// factory; the emulator builds the server from the package's own account and routes so that it
// can journal every write to disk before answering it and load the account at start.
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
 * `dataDir` (see cosmosJournal.ts): each write's changes are journaled and fdatasync'd before the
 * response is sent, so an acknowledged write survives a crash.
 */
export async function startCosmosEmulator(opts: {
  host: string;
  port: number;
  dataDir: string;
  /** Journal size that triggers a compaction into the snapshot; default 64 MiB. */
  compactBytes?: number;
}): Promise<CosmosEmulator> {
  fs.mkdirSync(opts.dataDir, { recursive: true });
  installCosmosQueryPatches();
  const state: { account?: AccountLike; persistence?: ReturnType<typeof openCosmosPersistence> } = {};

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const found = route(req);
    let body: Record<string, unknown> | undefined;
    const account = state.account;
    if (!found || !account) {
      res.statusCode = 400;
      body = { message: 'no route' };
    } else {
      const partitionHeader = req.headers['x-ms-documentdb-partitionkey'];
      try {
        body = await servedPartitionHeader.run(Array.isArray(partitionHeader) ? partitionHeader[0] : partitionHeader, () =>
          found[1](account, req, res, found[0]),
        );
      } catch (err) {
        res.statusCode = 500;
        body = { message: (err as Error).message };
      }
      if (res.statusCode > 399 && body && !body.message) body.message = '';
      // Even a failed write may have changed some documents (a batch stops at its first failure): journal what changed.
      if (isWrite(req)) {
        await state.persistence?.commit();
        state.persistence?.compactIfLarge();
      }
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
  state.persistence = openCosmosPersistence(account, opts.dataDir, { compactBytes: opts.compactBytes });
  state.account = account;
  return {
    port,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await state.persistence?.close();
    },
  };
}
