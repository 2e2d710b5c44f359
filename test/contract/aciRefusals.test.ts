import https from 'node:https';
import { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import { ArmFake } from '../../devhost/azureFakes/arm/armFake';
import { ContainerInstanceFake } from '../../devhost/azureFakes/containerInstanceFake';
import { AciDeployer } from '../../shared/adapters/azure/aciDeployer';
import { AzureResourcesConfig } from '../../shared/config';
import { fakeHttps } from '../support/fakeHttps';

// Container groups Azure refuses, against the ARM fake's Container Instances in a region whose capabilities allow
// 2 CPUs and 4 GB per group: the fake answers each refusal with ACI's status, code and message; the deployer refuses
// the same before asking (reading the region's limits from the capabilities API) and reads image-pull failures from
// the container's instance view.
const token = 'aci-refusals-token';
const subscriptionId = '0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5';
const resourceGroup = 'canopy-aci-refusals';
const identityId = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/canopy-workload`;
const azure = (armEndpoint: string): AzureResourcesConfig => ({
  subscriptionId,
  computeResourceGroup: resourceGroup,
  location: 'westus',
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
});
/** A container group as it goes over the wire (the SDK's model flattens `properties`). */
interface WireGroup {
  properties: {
    ipAddress: { dnsNameLabel: string };
    containers: { properties: { resources: { requests: { cpu: number; memoryInGB: number } } } }[];
    imageRegistryCredentials: { server: string; identity: string }[];
  };
}
const request = (name: string, sizes: { cpu: number; memoryGb: number } = { cpu: 1, memoryGb: 1.5 }) => ({
  name,
  model: 'refusals',
  version: 1,
  packageUri: 'https://127.0.0.1:1/models/refusals/1/',
  ...sizes,
  tags: { 'canopy-instance': 'refusals--0123456789abcdef' },
});

describe('container groups Azure Container Instances refuses', () => {
  let arm: ArmFake;
  let aci: ContainerInstanceFake;
  let client: ContainerInstanceManagementClient;
  let deployer: AciDeployer;
  let template: WireGroup;

  beforeAll(async () => {
    arm = await new ArmFake({ token, subscriptionId, resourceGroups: [resourceGroup], location: 'westus', pollAfterSeconds: 0 }).listen();
    aci = new ContainerInstanceFake(arm, {
      scorerEntry: '/nonexistent',
      provisionMs: 100,
      deleteMs: 50,
      limits: { maxCpu: 2, maxMemoryInGB: 4 },
    });
    client = new ContainerInstanceManagementClient(
      { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) },
      subscriptionId,
      {
        endpoint: arm.url,
        credentialScopes: ['https://management.azure.com/.default'],
        agent: new https.Agent({ rejectUnauthorized: false }),
      },
    );
    deployer = new AciDeployer(azure(arm.url), client, { healthTimeoutMs: 500 });
    // A group the deployer creates is the template of the raw requests; its container never starts a process.
    aci.injectContainerFault('never-healthy');
    await deployer.beginDeploy(request('canopy-template-v1'));
    template = arm.requestsTo('PUT', '/containerGroups/canopy-template-v1')[0].body as WireGroup;
  });
  afterAll(async () => {
    await aci.close();
    await arm.close();
  });

  async function refusal(
    name: string,
    change: (properties: WireGroup['properties']) => void = () => undefined,
  ): Promise<{ status: number; body: unknown }> {
    const body = structuredClone(template);
    change(body.properties);
    const url = `${arm.url}${arm.resourceId(resourceGroup, 'Microsoft.ContainerInstance/containerGroups', name)}?api-version=2023-05-01`;
    const answer = await fakeHttps(url, 'PUT', { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body);
    expect(arm.resource(arm.resourceId(resourceGroup, 'Microsoft.ContainerInstance/containerGroups', name))).toBeUndefined();
    return { status: answer.status, body: answer.body };
  }

  it('answers the capabilities API with the region limits', async () => {
    const capabilities = [];
    for await (const entry of client.location.listCapabilities('westus')) capabilities.push(entry);
    expect(capabilities).toEqual([
      expect.objectContaining({ osType: 'Linux', gpu: 'None', capabilities: { maxCpu: 2, maxMemoryInGB: 4, maxGpuCount: 0 } }),
    ]);
  });

  it('refuses a group name with consecutive hyphens: 400 InvalidContainerGroupName', async () => {
    const refused = {
      status: 400,
      body: { error: { code: 'InvalidContainerGroupName', message: expect.stringMatching(/consecutive '-'/) } },
    };
    expect(await refusal('canopy--x-v1')).toEqual(refused);
    expect(await refusal('Canopy-x-v1')).toEqual(refused);
  });

  it('refuses a DNS label ACI refuses, with its message: 400 InvalidDnsNameLabel', async () => {
    expect(await refusal('canopy-dns-v1', (p) => (p.ipAddress.dnsNameLabel = 'x1'))).toEqual({
      status: 400,
      body: {
        error: {
          code: 'InvalidDnsNameLabel',
          message:
            "The DNS name label 'x1' in container group 'canopy-dns-v1' is invalid. It can contain only lowercase letters, numbers and " +
            'hyphens. The first character must be a letter. The last character must be a letter or number. The value must be between 5 and 63 characters long.',
        },
      },
    });
  });

  it('refuses CPU or memory above the region limit: 409 ServiceUnavailable naming what was asked', async () => {
    expect(await refusal('canopy-big-v1', (p) => (p.containers[0].properties.resources.requests = { cpu: 3, memoryInGB: 2 }))).toEqual({
      status: 409,
      body: {
        error: {
          code: 'ServiceUnavailable',
          message:
            "The requested resource is not available in the location 'westus' at this moment. Please retry with a different resource " +
            "request or in another location. Resource requested: '3' CPU '2' GB memory 'Linux' OS",
        },
      },
    });
  });

  it('refuses a registry credential whose identity is not attached to the group', async () => {
    const other = identityId.replace('canopy-workload', 'someone-else');
    expect(await refusal('canopy-acr-v1', (p) => (p.imageRegistryCredentials[0].identity = other))).toMatchObject({
      status: 400,
      body: { error: { code: 'InvalidImageRegistryCredentialIdentity' } },
    });
  });

  it('the deployer refuses the same before asking, naming the field and the rule', async () => {
    const before = arm.requests.length;
    await expect(deployer.beginDeploy(request('canopy--x-v1'))).rejects.toMatchObject({
      code: 'SPEC.INVALID',
      transient: false,
      details: { problems: ['deployment name: a container group name has no consecutive hyphens'] },
    });
    await expect(deployer.beginDeploy(request('canopy-big-v1', { cpu: 3, memoryGb: 8 }))).rejects.toMatchObject({
      code: 'SPEC.INVALID',
      details: {
        problems: [
          "deployment.cpu: 3 CPUs exceed the region's container group limit of 2",
          "deployment.memoryGb: 8 GB exceed the region's container group limit of 4 GB",
        ],
      },
    });
    expect(arm.requests.slice(before).filter((r) => r.method === 'PUT')).toEqual([]);
  });

  it('puts an image that cannot be pulled on the container instance view, and the deployer reports its events', async () => {
    aci.injectContainerFault('image-pull');
    await deployer.beginDeploy(request('canopy-pull-v1'));
    const deadline = Date.now() + 5000;
    let status = await deployer.getDeployment('canopy-pull-v1');
    while (status?.state === 'creating' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = await deployer.getDeployment('canopy-pull-v1');
    }
    const group = await client.containerGroups.get(resourceGroup, 'canopy-pull-v1');
    expect(group.instanceView?.events).toEqual([]);
    expect(group.containers[0].instanceView?.currentState?.detailStatus).toBe('ErrImagePull');
    expect(status).toMatchObject({ state: 'failed' });
    expect(status?.error).toBe(
      'container group canopy-pull-v1 failed: Failed to pull image "canopyregistry.azurecr.io/canopy-scorer:test": ' +
        'failed to authorize: failed to fetch oauth token: unexpected status: 401 Unauthorized',
    );
  });
});
