import { Container, CosmosClient, ErrorResponse } from '@azure/cosmos';

/** The containers Canopy keeps in its Cosmos DB database, with their partition keys. */
export const cosmosContainers = {
  specs: '/name',
  runs: '/pipeline',
  models: '/model',
  ledger: '/id',
} as const;

export type CosmosContainerName = keyof typeof cosmosContainers;

export type CanopyContainers = Record<CosmosContainerName, Container>;

/** Creates the database and containers when missing (in Azure, infra/ creates them first). */
export async function openCanopyContainers(client: CosmosClient, databaseId: string): Promise<CanopyContainers> {
  const { database } = await client.databases.createIfNotExists({ id: databaseId });
  const entries = await Promise.all(
    Object.entries(cosmosContainers).map(async ([id, path]) => {
      const { container } = await database.containers.createIfNotExists({ id, partitionKey: { paths: [path] } });
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
