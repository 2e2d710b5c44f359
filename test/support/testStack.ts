import https from 'node:https';
import { CosmosClient } from '@azure/cosmos';
import { stackEndpoints, StackPorts } from '../../devhost/localStack/stack';

/** Ports of the test stack: away from the defaults, so tests run beside a user's `npm start`. */
export const testPorts: StackPorts = {
  blob: Number(process.env.CANOPY_TEST_BLOB_PORT ?? 20000),
  queue: Number(process.env.CANOPY_TEST_QUEUE_PORT ?? 20001),
  table: Number(process.env.CANOPY_TEST_TABLE_PORT ?? 20002),
  cosmos: Number(process.env.CANOPY_TEST_COSMOS_PORT ?? 20081),
};

export const testEndpoints = stackEndpoints('127.0.0.1', testPorts);

/** App settings a devhost under test gets: the test stack's connection strings. */
export function testAppSettings(): Record<string, string> {
  return {
    FUNCTIONS_WORKER_RUNTIME: 'node',
    CANOPY_RUNTIME: 'local',
    AzureWebJobsStorage: testEndpoints.storageConnectionString,
    CANOPY_COSMOS_ENDPOINT: testEndpoints.cosmosEndpoint,
    CANOPY_COSMOS_EMULATOR_KEY: testCosmosKey,
  };
}

/** The emulator's published key (not a secret), from the test stack's connection string. */
export const testCosmosKey = testEndpoints.cosmosConnectionString.split('AccountKey=')[1].replace(/;$/, '');

let cosmos: CosmosClient | undefined;

/** A client of the test stack's Cosmos emulator, accepting its self-signed certificate (this client only). */
export function testCosmosClient(): CosmosClient {
  cosmos ??= new CosmosClient({
    endpoint: testEndpoints.cosmosEndpoint,
    key: testCosmosKey,
    agent: new https.Agent({ rejectUnauthorized: false }),
    connectionPolicy: { enableEndpointDiscovery: false },
  });
  return cosmos;
}
