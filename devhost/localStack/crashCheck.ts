import https from 'node:https';
import { CosmosClient } from '@azure/cosmos';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';
import { LocalStack, StackOptions, StackPorts, startLocalStack } from './stack';

export type WriteKind = 'blobs' | 'tableRows' | 'queueMessages' | 'cosmosDocuments';

export interface KindCount {
  acknowledged: number;
  found: number;
  /** Wall time of the acknowledged writes of this kind divided by their number, at the concurrency used. */
  msPerWrite: number;
}

export interface CrashCheckResult {
  journaledMetadata: boolean;
  counts: Record<WriteKind, KindCount>;
}

const names = {
  container: 'crashcheck',
  table: 'CrashCheckHistory',
  queue: 'crashcheck-workitems',
  database: 'crashcheck',
  cosmos: 'runs',
};
const concurrency = 16;

async function pool(count: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

function clientsOf(stack: LocalStack) {
  const key = stack.cosmosConnectionString.split('AccountKey=')[1].replace(/;$/, '');
  const cosmos = new CosmosClient({
    endpoint: stack.cosmosEndpoint,
    key,
    agent: new https.Agent({ rejectUnauthorized: false }),
    connectionPolicy: { enableEndpointDiscovery: false },
  });
  return {
    container: BlobServiceClient.fromConnectionString(stack.storageConnectionString).getContainerClient(names.container),
    table: TableClient.fromConnectionString(stack.storageConnectionString, names.table, { allowInsecureConnection: true }),
    queue: new QueueClient(stack.storageConnectionString, names.queue),
    cosmos: cosmos.database(names.database).container(names.cosmos),
    cosmosAccount: cosmos,
  };
}

const body = (i: number): string => `acknowledged write ${i}`;

async function timed(writes: number, work: (i: number) => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await pool(writes, work);
  return Number(process.hrtime.bigint() - started) / 1e6 / writes;
}

async function writeAll(stack: LocalStack, writes: number): Promise<Record<WriteKind, number>> {
  const c = clientsOf(stack);
  await c.container.createIfNotExists();
  await c.table.createTable();
  await c.queue.createIfNotExists();
  const { database } = await c.cosmosAccount.databases.createIfNotExists({ id: names.database });
  await database.containers.createIfNotExists({ id: names.cosmos, partitionKey: { paths: ['/pipeline'] } });
  const [blobs, tableRows, queueMessages, cosmosDocuments] = await Promise.all([
    timed(writes, (i) => c.container.getBlockBlobClient(`out/${i}.txt`).upload(body(i), body(i).length)),
    timed(writes, (i) => c.table.upsertEntity({ partitionKey: 'instance', rowKey: String(i), text: body(i) })),
    timed(writes, (i) => c.queue.sendMessage(body(i))),
    timed(writes, (i) => c.cosmos.items.create({ id: String(i), pipeline: 'crash', text: body(i) })),
  ]);
  return { blobs, tableRows, queueMessages, cosmosDocuments };
}

/** Counts only what came back intact: a name without its bytes, or a message without its text, is lost. */
async function countIntact(stack: LocalStack, writes: number): Promise<Record<WriteKind, number>> {
  const c = clientsOf(stack);
  const expected = new Set(Array.from({ length: writes }, (_, i) => body(i)));
  let blobs = 0;
  if (await c.container.exists()) {
    for await (const blob of c.container.listBlobsFlat({ prefix: 'out/' })) {
      const text = (
        await c.container
          .getBlobClient(blob.name)
          .downloadToBuffer()
          .catch(() => Buffer.alloc(0))
      ).toString();
      if (expected.has(text)) blobs++;
    }
  }
  let tableRows = 0;
  try {
    for await (const row of c.table.listEntities<{ text: string }>()) if (expected.has(row.text)) tableRows++;
  } catch {
    tableRows = 0;
  }
  const seen = new Set<string>();
  if (await c.queue.exists()) {
    for (;;) {
      const { receivedMessageItems } = await c.queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 300 });
      if (receivedMessageItems.length === 0) break;
      receivedMessageItems.forEach((m) => expected.has(m.messageText) && seen.add(m.messageText));
    }
  }
  const documents = await c.cosmos.items
    .query<{ text: string }>('SELECT c.text FROM c')
    .fetchAll()
    .then(
      (r) => r.resources.filter((d) => expected.has(d.text)).length,
      () => 0,
    );
  return { blobs, tableRows, queueMessages: seen.size, cosmosDocuments: documents };
}

/**
 * Starts the local stack on an empty `stateDir`, makes `writes` acknowledged writes of each kind,
 * SIGKILLs Azurite and the Cosmos emulator at once, restarts them on the same directory and counts
 * what is there.
 */
export async function writeCrashAndCount(
  stateDir: string,
  ports: StackPorts,
  writes: number,
  options: StackOptions = {},
): Promise<CrashCheckResult> {
  const before = await startLocalStack(stateDir, ports, options);
  let perWrite: Record<WriteKind, number>;
  try {
    perWrite = await writeAll(before, writes);
  } finally {
    await before.crash();
  }
  const after = await startLocalStack(stateDir, ports, options);
  try {
    const found = await countIntact(after, writes);
    const kinds = Object.keys(found) as WriteKind[];
    return {
      journaledMetadata: options.journaledMetadata ?? true,
      counts: Object.fromEntries(
        kinds.map((kind) => [kind, { acknowledged: writes, found: found[kind], msPerWrite: Math.round(perWrite[kind] * 100) / 100 }]),
      ) as Record<WriteKind, KindCount>,
    };
  } finally {
    await after.stop();
  }
}
