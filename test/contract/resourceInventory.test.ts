import https from 'node:https';
import { ArmFake } from '../../devhost/azureFakes/arm/armFake';
import { ResourceTypeDefinition } from '../../devhost/azureFakes/arm/armTypes';
import { resourceGroupResourcesRoute, resourcesApiVersion } from '../../devhost/azureFakes/resourceGroupResources';
import { ArmResourceInventory } from '../../shared/adapters/azure/armResourceInventory';
import { fakeAzureToken, resourceInventory } from '../../shared/composition';
import { loadConfig } from '../../shared/config';

// The reaper's view of the compute resource group: ARM's List By Resource Group, paged, against the ARM fake.
const subscription = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';
const group = 'rg-canopy-compute';

const gadgets: ResourceTypeDefinition = {
  namespace: 'Microsoft.Test',
  type: 'gadgets',
  apiVersions: ['2024-01-01'],
  validate: () => [],
  accept: (body, identity) => ({
    resource: {
      ...identity,
      location: 'eastus',
      tags: body.tags as Record<string, string>,
      properties: { provisioningState: 'Succeeded' },
    },
  }),
  createStatus: 201,
  lifecycle: { create: [{ afterMs: 0, properties: { provisioningState: 'Succeeded' } }], failed: () => ({}), deleting: {}, deleteMs: 0 },
};

function put(url: string, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'PUT', rejectUnauthorized: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.setHeader('authorization', `Bearer ${fakeAzureToken}`);
    req.setHeader('content-type', 'application/json');
    req.end(JSON.stringify(body));
  });
}

describe('ArmResourceInventory against the ARM fake', () => {
  let fake: ArmFake;
  let inventory: ArmResourceInventory;

  beforeAll(async () => {
    fake = new ArmFake({ token: fakeAzureToken, subscriptionId: subscription, resourceGroups: [group], pollAfterSeconds: 0 });
    await fake.register(gadgets).route(resourceGroupResourcesRoute(fake, 2)).listen();
    const cfg = loadConfig({
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      CANOPY_COSMOS_ENDPOINT: 'https://127.0.0.1:8081/',
      CANOPY_COSMOS_EMULATOR_KEY: 'k',
      CANOPY_ARM_ENDPOINT: fake.url,
      CANOPY_SUBSCRIPTION_ID: subscription,
      CANOPY_COMPUTE_RESOURCE_GROUP: group,
      CANOPY_LOCATION: 'eastus',
      CANOPY_HDINSIGHT_GATEWAY_PASSWORD: 'fake-only',
      CANOPY_CLUSTER_STORAGE_RESOURCE_ID: `/subscriptions/${subscription}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stcluster`,
      CANOPY_WORKLOAD_IDENTITY_ID: `/subscriptions/${subscription}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id`,
      CANOPY_WORKLOAD_IDENTITY_CLIENT_ID: '0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d',
      CANOPY_SCORER_IMAGE: 'crcanopy.azurecr.io/canopy-scorer:0.1.0',
    });
    inventory = resourceInventory(cfg.azure!);
    const gadget = (name: string) =>
      `${fake.url}/subscriptions/${subscription}/resourceGroups/${group}/providers/Microsoft.Test/gadgets/${name}?api-version=2024-01-01`;
    for (let i = 0; i < 5; i++)
      expect(
        await put(gadget(`canopy-${i}`), { tags: { 'canopy-instance': `p--${i}`, 'canopy-expires-at': '2026-11-22T12:00:00.000Z' } }),
      ).toBe(201);
    expect(await put(gadget('someone-elses'), { tags: { owner: 'finance' } })).toBe(201);
  });
  afterAll(() => fake.close());

  it('follows nextLink through every page and keeps only what carries canopy-instance, with its tags', async () => {
    const found = await inventory.listCanopyResources();
    expect(found.map((r) => r.name).sort()).toEqual(['canopy-0', 'canopy-1', 'canopy-2', 'canopy-3', 'canopy-4']);
    expect(found[0]).toMatchObject({ type: 'Microsoft.Test/gadgets', tags: { 'canopy-expires-at': '2026-11-22T12:00:00.000Z' } });
    expect(found[0].id).toMatch(
      new RegExp(`^/subscriptions/${subscription}/resourceGroups/${group}/providers/Microsoft.Test/gadgets/`, 'i'),
    );
    const lists = fake.requestsTo('GET', `/resourcegroups/${group}/resources`);
    expect(lists).toHaveLength(3);
    expect(lists.every((r) => r.status === 200 && r.query['api-version'] === resourcesApiVersion)).toBe(true);
  });

  it('is refused without the token, as ARM refuses it', async () => {
    const stranger = await new Promise<number>((resolve, reject) => {
      https
        .get(
          `${fake.url}/subscriptions/${subscription}/resourceGroups/${group}/resources?api-version=${resourcesApiVersion}`,
          { rejectUnauthorized: false },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        )
        .on('error', reject);
    });
    expect(stranger).toBe(401);
  });
});
