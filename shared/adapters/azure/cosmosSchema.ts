import { Container, CosmosClient, ErrorResponse } from '@azure/cosmos';

/** The containers Canopy keeps in its Cosmos DB database, with their partition keys. */
export const cosmosContainers = {
  specs: '/name',
  runs: '/pipeline',
  models: '/model',
  ledger: '/id',
} as const;

export type CosmosContainerName = keyof typeof cosmosContainers;

/**
 * Containers with time to live on. -1: nothing expires unless its document sets `ttl` (the deployment
 * metrics windows in `models` do; versions and deployments beside them must never expire).
 */
export const cosmosDefaultTtl: Partial<Record<CosmosContainerName, number>> = { models: -1 };

export type CanopyContainers = Record<CosmosContainerName, Container>;

/**
 * `createIfNotExists` reads, then creates on 404: two processes starting together (a host and a test, two
 * instances) can both miss and one gets 409. The other created it, which is all this wanted.
 */
async function existing<T>(create: () => Promise<T>, read: () => T): Promise<T> {
  try {
    return await create();
  } catch (err) {
    if (isCosmosStatus(err, 409)) return read();
    throw err;
  }
}

/** Creates the database and containers when missing (in Azure, infra/ creates them first). */
export async function openCanopyContainers(client: CosmosClient, databaseId: string): Promise<CanopyContainers> {
  const database = await existing(
    async () => (await client.databases.createIfNotExists({ id: databaseId })).database,
    () => client.database(databaseId),
  );
  const entries = await Promise.all(
    Object.entries(cosmosContainers).map(async ([id, path]) => {
      const container = await existing(
        async () =>
          (
            await database.containers.createIfNotExists({
              id,
              partitionKey: { paths: [path] },
              defaultTtl: cosmosDefaultTtl[id as CosmosContainerName],
            })
          ).container,
        () => database.container(id),
      );
      return [id, container] as const;
    }),
  );
  return Object.fromEntries(entries) as CanopyContainers;
}

export function isCosmosStatus(err: unknown, ...codes: number[]): boolean {
  return typeof (err as ErrorResponse)?.code === 'number' && codes.includes((err as ErrorResponse).code as number);
}

const systemFields = new Set(['_rid', '_self', '_etag', '_ts', '_attachments']);

/** Strips Cosmos system properties (and any `extra` bookkeeping fields) so documents round-trip as the port's plain records. */
export function withoutSystemFields<T>(doc: object, ...extra: string[]): T {
  return Object.fromEntries(Object.entries(doc).filter(([key]) => !systemFields.has(key) && !extra.includes(key))) as T;
}
