import { ClusterCreateParametersExtended, HDInsightManagementClient, Role } from '@azure/arm-hdinsight';
import { BlobServiceClient } from '@azure/storage-blob';
import { AzureBlobStore } from '../../shared/adapters/azure/azureBlobStore';
import { armClientOptions } from '../../shared/adapters/azure/azureCredential';
import { azureAccess, hdinsightComputeTarget } from '../../shared/composition';
import { loadConfig } from '../../shared/config';
import { AzureFakes, fakeResourceGroup, startAzureFakes } from '../support/azureFakes';
import { testAppSettings, testEndpoints } from '../support/testStack';

// The HDInsight adapter and the Azure SDK against the ARM fake: the requests it sends (checked by the fake against the
// 2021-06-01 REST spec) and how it reads Azure's answers — long-running operations, a failed create, throttling, 401.
const data = new AzureBlobStore(BlobServiceClient.fromConnectionString(testEndpoints.storageConnectionString));
const tags = { 'canopy-pipeline': 'p', 'canopy-instance': 'p--0123456789abcdef', 'canopy-expires-at': '2030-01-01T00:00:00.000Z' };
const cluster = (name: string) => ({ name, headVmSize: 'Standard_D12_v2', workerVmSize: 'Standard_D4_v2', workerNodes: 3, tags });

describe('HDInsight on the ARM fake', () => {
  let fakes: AzureFakes;
  let password: string;
  let target: ReturnType<typeof hdinsightComputeTarget>;
  let sdk: HDInsightManagementClient;

  beforeAll(async () => {
    fakes = await startAzureFakes({ runner: 'recorded', provisionMs: 400, deleteMs: 200 });
    password = fakes.env.CANOPY_HDINSIGHT_GATEWAY_PASSWORD;
    target = hdinsightComputeTarget(loadConfig({ ...testAppSettings(), ...fakes.env }), fakes.azure, data);
    sdk = new HDInsightManagementClient(
      azureAccess(fakes.azure).credential,
      fakes.azure.subscriptionId,
      armClientOptions(fakes.azure.armEndpoint, azureAccess(fakes.azure)),
    );
  });
  afterAll(() => fakes?.close());

  it('creates a Linux Spark cluster with the spec sizes, tags, identity-based ADLS Gen2 storage and the gateway; GET never shows the password', async () => {
    await target.beginCreateCluster(cluster('canopy-body'));
    const [put] = fakes.arm.requestsTo('PUT', '/clusters/canopy-body');
    expect(put.status).toBe(200);
    expect(put.query['api-version']).toBe('2021-06-01');
    expect(put.headers['content-type']).toMatch(/^application\/json/);
    const body = put.body as ClusterCreateParametersExtended & {
      properties: Required<NonNullable<ClusterCreateParametersExtended['properties']>>;
    };
    expect(body.tags).toEqual({ ...tags, 'canopy-kind': 'cluster' });
    expect(body.identity).toEqual({ type: 'UserAssigned', userAssignedIdentities: { [fakes.azure.workloadIdentity.resourceId]: {} } });
    expect(body.properties.clusterDefinition).toMatchObject({
      kind: 'spark',
      configurations: { gateway: { 'restAuthCredential.username': 'canopy' } },
    });
    expect(
      (body.properties.computeProfile as { roles: Role[] }).roles.map((r) => [r.name, r.hardwareProfile?.vmSize, r.targetInstanceCount]),
    ).toEqual([
      ['headnode', 'Standard_D12_v2', 2],
      ['workernode', 'Standard_D4_v2', 3],
    ]);
    expect(body.properties.storageProfile.storageaccounts).toEqual([
      {
        name: 'canopyclusters.dfs.core.windows.net',
        isDefault: true,
        fileSystem: fakes.azure.clusterStorage.container,
        resourceId: fakes.azure.clusterStorage.resourceId,
        msiResourceId: fakes.azure.workloadIdentity.resourceId,
      },
    ]);
    expect(await target.getCluster('canopy-body')).toEqual({ state: 'creating' });
    const got = await sdk.clusters.get(fakeResourceGroup, 'canopy-body');
    expect(got.tags?.['canopy-kind']).toBe('cluster');
    expect(JSON.stringify(got)).not.toContain(password);
  });

  it('follows the long-running create through Azure-AsyncOperation to a running cluster (the SDK poller)', async () => {
    const created = await sdk.clusters.beginCreateAndWait(
      fakeResourceGroup,
      'canopy-lro',
      fakes.arm.requestsTo('PUT', '/clusters/canopy-body')[0].body as Parameters<typeof sdk.clusters.beginCreate>[2],
      { updateIntervalInMs: 50 },
    );
    expect(created.properties).toMatchObject({ provisioningState: 'Succeeded', clusterState: 'Running' });
    const polls = fakes.arm.requests.filter((r) => r.path.toLowerCase().includes('/operationstatuses/'));
    expect(polls.length).toBeGreaterThan(0);
    expect(await target.getCluster('canopy-lro')).toEqual({ state: 'running' });
  });

  it('surfaces a failed create as failed with the error from Azure', async () => {
    fakes.arm.faults.failNextCreate('Microsoft.HDInsight/clusters', {
      code: 'InsufficientCores',
      message: 'The subscription has 8 cores left in eastus; 40 are needed.',
    });
    await target.beginCreateCluster(cluster('canopy-quota'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await target.getCluster('canopy-quota')).toEqual({
      state: 'failed',
      error: 'InsufficientCores: The subscription has 8 cores left in eastus; 40 are needed.',
    });
  });

  it('retries a throttled request after its Retry-After (429), as the SDK does', async () => {
    fakes.arm.faults.throttle({ method: 'GET', pathIncludes: '/clusters/canopy-lro' }, { retryAfterSeconds: 1 });
    expect(await target.getCluster('canopy-lro')).toEqual({ state: 'running' });
    const gets = fakes.arm.requestsTo('GET', '/clusters/canopy-lro').slice(-2);
    expect(gets.map((r) => r.status)).toEqual([429, 200]);
    expect(gets[1].at - gets[0].at).toBeGreaterThanOrEqual(900);
  });

  it('deletes a cluster it created (202, then 404) but never an attached one without Canopy tags', async () => {
    const untagged = { ...(fakes.arm.requestsTo('PUT', '/clusters/canopy-body')[0].body as ClusterCreateParametersExtended), tags: {} };
    await sdk.clusters.beginCreateAndWait(fakeResourceGroup, 'team-shared', untagged, { updateIntervalInMs: 50 });
    await target.beginDeleteCluster('team-shared');
    expect(fakes.arm.requestsTo('DELETE', '/clusters/team-shared')).toEqual([]);
    expect(await target.getCluster('team-shared')).toEqual({ state: 'running' });

    await target.beginDeleteCluster('canopy-lro');
    expect(fakes.arm.requestsTo('DELETE', '/clusters/canopy-lro').map((r) => r.status)).toEqual([202]);
    expect(await target.getCluster('canopy-lro')).toEqual({ state: 'deleting' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await target.getCluster('canopy-lro')).toBeUndefined();
    expect(fakes.arm.requestsTo('GET', '/clusters/canopy-lro').pop()?.status).toBe(404);
  });

  it('refuses a body the REST spec rejects and a wrong token', async () => {
    const bad = sdk.clusters.beginCreate(fakeResourceGroup, 'canopy-bad', {
      location: 'eastus',
      properties: { clusterDefinition: { kind: 'spark' } },
    });
    await expect(bad).rejects.toMatchObject({ statusCode: 400, code: 'InvalidRequestContent' });
    const stranger = new HDInsightManagementClient(
      { getToken: async () => ({ token: 'stolen', expiresOnTimestamp: Date.now() + 60_000 }) },
      fakes.azure.subscriptionId,
      armClientOptions(fakes.azure.armEndpoint, azureAccess(fakes.azure)),
    );
    await expect(stranger.clusters.get(fakeResourceGroup, 'canopy-body')).rejects.toMatchObject({ statusCode: 401 });
  });
});
