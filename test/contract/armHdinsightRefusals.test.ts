import https from 'node:https';
import { HDInsightManagementClient } from '@azure/arm-hdinsight';
import { ArmFake } from '../../devhost/azureFakes/arm/armFake';
import { hdinsightClusters, hdinsightCreateRefusals } from '../../devhost/azureFakes/hdinsightClusters';
import { HdinsightComputeTarget } from '../../shared/adapters/azure/hdinsightComputeTarget';
import { AzureResourcesConfig } from '../../shared/config';
import { CanopyError } from '../../shared/errors';
import { BlobStore } from '../../shared/ports/blobStore';

// Cluster creates Azure refuses outright (no permission, no cores left): the HDInsight adapter with the real SDK
// client against the ARM fake must turn them into permanent CanopyErrors carrying Azure's message, without retrying.
const token = 'refusals-token';
const subscriptionId = '6a3c6f44-7f2e-4b4e-9d0c-4d2f3b1a0c11';
const resourceGroup = 'canopy-compute';
const identityId = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/canopy-workload`;
const tags = { 'canopy-pipeline': 'p', 'canopy-instance': 'p--0123456789abcdef', 'canopy-expires-at': '2030-01-01T00:00:00.000Z' };
const cluster = (name: string) => ({ name, headVmSize: 'Standard_D12_v2', workerVmSize: 'Standard_D4_v2', workerNodes: 3, tags });

function azureConfig(armEndpoint: string): AzureResourcesConfig {
  return {
    subscriptionId,
    computeResourceGroup: resourceGroup,
    location: 'eastus',
    armEndpoint,
    livyEndpoint: 'https://{cluster}.invalid/livy',
    fakes: true,
    hdinsight: { gatewayUser: 'canopy', gatewayPasswordSecret: 'unused', gatewayPassword: 'Fake-Passw0rd!' },
    clusterStorage: {
      resourceId: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Storage/storageAccounts/canopyclusters`,
      container: 'clusters',
    },
    workloadIdentity: { resourceId: identityId, clientId: '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0' },
    scorerImage: 'canopyregistry.azurecr.io/canopy-scorer:test',
  };
}

// beginCreateCluster reaches no storage and no Livy; these fail loudly if it ever does.
const unusedStore = new Proxy({} as BlobStore, {
  get: (_target, method) => () => Promise.reject(new Error(`unexpected storage call ${String(method)}`)),
});

describe('HDInsight cluster creates that Azure refuses', () => {
  let fake: ArmFake;
  let target: HdinsightComputeTarget;

  beforeAll(async () => {
    fake = await new ArmFake({ token, subscriptionId, resourceGroups: [resourceGroup], pollAfterSeconds: 0 })
      .register(hdinsightClusters({ provisionMs: 200, deleteMs: 100 }))
      .listen();
    const sdk = new HDInsightManagementClient(
      { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) },
      subscriptionId,
      {
        endpoint: fake.url,
        credentialScopes: ['https://management.azure.com/.default'],
        agent: new https.Agent({ rejectUnauthorized: false }),
      },
    );
    target = new HdinsightComputeTarget({
      azure: azureConfig(fake.url),
      clusters: sdk.clusters,
      livy: () => {
        throw new Error('unexpected Livy call');
      },
      gatewayPassword: async () => 'Fake-Passw0rd!',
      data: unusedStore,
      clusterStorage: unusedStore,
      jobsDir: '/nonexistent',
      modelsDir: '/nonexistent',
    });
  });
  afterAll(() => fake.close());

  async function refusal(name: string): Promise<CanopyError> {
    const err: unknown = await target.beginCreateCluster(cluster(name)).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(err).toBeInstanceOf(CanopyError);
    return err as CanopyError;
  }

  it('a caller without clusters/write gets ARM.FORBIDDEN, permanent, with Azure message, after one PUT', async () => {
    const principal = { clientId: '11111111-2222-3333-4444-555555555555', objectId: '66666666-7777-8888-9999-000000000000' };
    fake.faults.refuseNextCreate('Microsoft.HDInsight/clusters', hdinsightCreateRefusals.authorizationFailed(principal));
    const err = await refusal('canopy-forbidden');
    expect({ code: err.code, transient: err.transient }).toEqual({ code: 'ARM.FORBIDDEN', transient: false });
    expect(err.message).toBe(
      `The client '${principal.clientId}' with object id '${principal.objectId}' does not have authorization to perform action ` +
        `'Microsoft.HDInsight/clusters/write' over scope '${fake.resourceId(resourceGroup, 'Microsoft.HDInsight/clusters', 'canopy-forbidden')}' ` +
        'or the scope is invalid. If access was recently granted, please refresh your credentials.',
    );
    expect(err.details).toMatchObject({ status: 403, azureCode: 'AuthorizationFailed' });
    expect(fake.requestsTo('PUT', '/clusters/canopy-forbidden').map((r) => r.status)).toEqual([403]);
    expect(await target.getCluster('canopy-forbidden')).toBeUndefined();
  });

  it('a subscription short of cores gets ARM.QUOTA_EXCEEDED, permanent, with Azure message, after one PUT', async () => {
    fake.faults.refuseNextCreate(
      'Microsoft.HDInsight/clusters',
      hdinsightCreateRefusals.insufficientCores({ subscriptionId, required: 40, available: 20 }),
    );
    const err = await refusal('canopy-no-cores');
    expect({ code: err.code, transient: err.transient }).toEqual({ code: 'ARM.QUOTA_EXCEEDED', transient: false });
    expect(err.message).toBe(
      `User SubscriptionId '${subscriptionId}' does not have cores left to create resource 'canopy-no-cores'. Required: 40, Available: 20.`,
    );
    expect(err.details).toMatchObject({ status: 400, azureCode: 'BadRequest' });
    expect(fake.requestsTo('PUT', '/clusters/canopy-no-cores').map((r) => r.status)).toEqual([400]);
  });

  it('a refusal is used up by one create: the next create of the same name goes through', async () => {
    fake.faults.refuseNextCreate(
      'Microsoft.HDInsight/clusters',
      hdinsightCreateRefusals.insufficientCores({ subscriptionId, required: 40, available: 0 }),
    );
    await expect(target.beginCreateCluster(cluster('canopy-later'))).rejects.toMatchObject({ code: 'ARM.QUOTA_EXCEEDED' });
    await target.beginCreateCluster(cluster('canopy-later'));
    expect(fake.requestsTo('PUT', '/clusters/canopy-later').map((r) => r.status)).toEqual([400, 200]);
    expect(await target.getCluster('canopy-later')).toEqual({ state: 'creating' });
  });

  it('a create ARM finds invalid is ARM.BAD_REQUEST, permanent, with Azure message', async () => {
    fake.faults.respond(
      { method: 'PUT', pathIncludes: '/clusters/canopy-bad' },
      { status: 400, body: { error: { code: 'InvalidRequestContent', message: 'The request content was invalid: location is required' } } },
    );
    await expect(target.beginCreateCluster(cluster('canopy-bad'))).rejects.toMatchObject({
      code: 'ARM.BAD_REQUEST',
      transient: false,
      message: 'The request content was invalid: location is required',
    });
  });
});
