import https from 'node:https';
import { ClusterCreateParametersExtended, HDInsightManagementClient } from '@azure/arm-hdinsight';
import { ArmFake } from '../../devhost/azureFakes/arm/armFake';
import { hdinsightClusters, hdinsightCreateRefusals } from '../../devhost/azureFakes/hdinsightClusters';
import { HdinsightComputeTarget, HdinsightDeps } from '../../shared/adapters/azure/hdinsightComputeTarget';
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

function targetWith(fake: ArmFake, clusters: HdinsightDeps['clusters'], gatewayPassword = 'Fake-Passw0rd!'): HdinsightComputeTarget {
  return new HdinsightComputeTarget({
    azure: azureConfig(fake.url),
    clusters,
    livy: () => {
      throw new Error('unexpected Livy call');
    },
    gatewayPassword: async () => gatewayPassword,
    data: unusedStore,
    clusterStorage: unusedStore,
    jobsDir: '/nonexistent',
    modelsDir: '/nonexistent',
  });
}

describe('HDInsight cluster creates that Azure refuses', () => {
  let fake: ArmFake;
  let target: HdinsightComputeTarget;
  let sdk: HDInsightManagementClient;

  beforeAll(async () => {
    fake = await new ArmFake({ token, subscriptionId, resourceGroups: [resourceGroup], pollAfterSeconds: 0 })
      .register(hdinsightClusters({ provisionMs: 200, deleteMs: 100 }))
      .listen();
    sdk = new HDInsightManagementClient({ getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) }, subscriptionId, {
      endpoint: fake.url,
      credentialScopes: ['https://management.azure.com/.default'],
      agent: new https.Agent({ rejectUnauthorized: false }),
    });
    target = targetWith(fake, sdk.clusters);
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

  describe('what HDInsight itself refuses of a well-formed create (names, versions, VM sizes, password policy)', () => {
    let template: ClusterCreateParametersExtended;
    interface WireRole {
      hardwareProfile: { vmSize: string };
      osProfile: { linuxOperatingSystemProfile: { password?: string } };
    }
    interface Mutable {
      properties: {
        clusterVersion: string;
        clusterDefinition: { componentVersion?: Record<string, string>; configurations: { gateway: Record<string, unknown> } };
        computeProfile: { roles: WireRole[] };
      };
    }

    beforeAll(async () => {
      await target.beginCreateCluster(cluster('canopy-template'));
      template = fake.requestsTo('PUT', '/clusters/canopy-template')[0].body as ClusterCreateParametersExtended;
    });

    async function refusedBody(name: string, change: (body: Mutable) => void): Promise<{ code: string; message: string }> {
      const body = structuredClone(template) as unknown as Mutable;
      change(body);
      const err: unknown = await sdk.clusters.beginCreate(resourceGroup, name, body as ClusterCreateParametersExtended).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(err).toMatchObject({ statusCode: 400, code: 'BadRequest' });
      // The 2021-06-01 spec's ErrorResponse is flat: `{ code, message }` without ARM's `error` wrapper.
      const answered = JSON.parse((err as { response: { bodyAsText: string } }).response.bodyAsText) as Record<string, unknown>;
      expect(Object.keys(answered).sort()).toEqual(['code', 'message']);
      expect(fake.resource(fake.resourceId(resourceGroup, 'Microsoft.HDInsight/clusters', name))).toBeUndefined();
      return answered as { code: string; message: string };
    }

    const roles = (body: Mutable) => body.properties.computeProfile.roles;

    it('refuses a cluster name with an underscore or a trailing hyphen', async () => {
      for (const name of ['canopy_x', 'canopy-x-'])
        expect((await refusedBody(name, () => undefined)).message).toMatch(
          /^name: an HDInsight cluster name has 3–59 letters, digits and hyphens/,
        );
    });

    it('refuses a retired cluster version and a Spark version 5.1 does not offer', async () => {
      expect((await refusedBody('canopy-old', (b) => (b.properties.clusterVersion = '3.6'))).message).toBe(
        'properties.clusterVersion: HDInsight 3.6 is retired or unknown; supported: 5.1, 4.0',
      );
      expect((await refusedBody('canopy-spark', (b) => (b.properties.clusterDefinition.componentVersion = { Spark: '2.4' }))).message).toBe(
        'properties.componentVersion.Spark: HDInsight 5.1 offers Spark 3.3, not 2.4',
      );
    });

    it('refuses an unknown VM size and a head node too small', async () => {
      const message = (
        await refusedBody('canopy-sizes', (b) => {
          roles(b)[0].hardwareProfile.vmSize = 'Standard_D4_v2';
          roles(b)[1].hardwareProfile.vmSize = 'Standard_B1s';
        })
      ).message;
      expect(message).toContain(
        'properties.computeProfile.roles[0].hardwareProfile.vmSize: Standard_D4_v2 is too small for an HDInsight head node',
      );
      expect(message).toContain(
        'properties.computeProfile.roles[1].hardwareProfile.vmSize: Standard_B1s is not a VM size HDInsight offers',
      );
    });

    it('refuses a gateway or SSH password that fails the complexity policy', async () => {
      const gateway = await refusedBody('canopy-gw', (b) => {
        b.properties.clusterDefinition.configurations.gateway['restAuthCredential.password'] = 'password';
      });
      expect(gateway.message).toBe(
        'restAuthCredential.password: the HDInsight password policy needs at least 10 characters, a digit, an upper-case letter, a non-alphanumeric character',
      );
      const ssh = await refusedBody('canopy-ssh', (b) => {
        roles(b)[1].osProfile.linuxOperatingSystemProfile.password = 'Passw0rd-with-"quote"';
      });
      expect(ssh.message).toBe(
        `properties.computeProfile.roles[1].osProfile.linuxOperatingSystemProfile.password: an HDInsight password must not contain ' " \` or \\`,
      );
    });

    it('answers GET as Azure does: the full 5.1 version, kind SPARK with its blueprint, and the zookeeper role', async () => {
      const got = await sdk.clusters.get(resourceGroup, 'canopy-template');
      expect(got.properties?.clusterVersion).toBe('5.1.3000.0');
      expect(got.properties?.clusterDefinition).toMatchObject({
        kind: 'SPARK',
        componentVersion: { Spark: '3.3' },
        blueprint: 'https://blueprints.azurehdinsight.net/spark-5.1.3000.0.json',
      });
      expect(got.properties?.computeProfile?.roles?.map((r) => [r.name, r.targetInstanceCount])).toEqual([
        ['headnode', 2],
        ['workernode', 3],
        ['zookeepernode', 3],
      ]);
    });
  });

  describe('the adapter refuses before Azure is asked', () => {
    it('a head node HDInsight refuses, or a bad cluster name: SPEC.INVALID naming the field and rule, no PUT', async () => {
      await expect(target.beginCreateCluster({ ...cluster('canopy-small-head'), headVmSize: 'Standard_D4_v2' })).rejects.toMatchObject({
        code: 'SPEC.INVALID',
        transient: false,
        details: { problems: [expect.stringMatching(/^compute\.headVmSize: Standard_D4_v2 is too small/)] },
      });
      await expect(target.beginCreateCluster(cluster('canopy_underscore'))).rejects.toMatchObject({ code: 'SPEC.INVALID' });
      expect(fake.requestsTo('PUT', '/clusters/canopy-small-head')).toEqual([]);
      expect(fake.requestsTo('PUT', '/clusters/canopy_underscore')).toEqual([]);
    });

    it('a gateway password that fails the policy: CONFIG.INVALID, no PUT', async () => {
      const weak = targetWith(fake, sdk.clusters, 'password123');
      await expect(weak.beginCreateCluster(cluster('canopy-weak'))).rejects.toMatchObject({
        code: 'CONFIG.INVALID',
        message: 'gateway password (secret unused): the HDInsight password policy needs an upper-case letter, a non-alphanumeric character',
      });
      expect(fake.requestsTo('PUT', '/clusters/canopy-weak')).toEqual([]);
    });
  });

  it('ends the wait on every terminal state: Canceled and TimedOut are failed, with the state named', async () => {
    const answering = (properties: Record<string, unknown>) =>
      targetWith(fake, {
        get: async () => ({ tags: {}, properties }),
        beginCreate: () => Promise.reject(new Error('unexpected create')),
        beginDelete: () => Promise.reject(new Error('unexpected delete')),
      } as unknown as HdinsightDeps['clusters']);
    expect(await answering({ provisioningState: 'Canceled', clusterState: 'Accepted' }).getCluster('c')).toEqual({
      state: 'failed',
      error: 'cluster c was canceled (Accepted)',
    });
    expect(await answering({ provisioningState: 'InProgress', clusterState: 'TimedOut' }).getCluster('c')).toEqual({
      state: 'failed',
      error: 'cluster c failed (TimedOut)',
    });
    expect(await answering({ provisioningState: 'InProgress', clusterState: 'AzureVMConfiguration' }).getCluster('c')).toEqual({
      state: 'creating',
    });
  });
});
