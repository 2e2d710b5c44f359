import { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import { armClientOptions } from '../../shared/adapters/azure/azureCredential';
import { azureAccess } from '../../shared/composition';
import { containerInstanceApiVersion } from '../../devhost/azureFakes/containerInstanceGroups';
import { aciResourceGroup, startAciFakes } from './aciFakes';
import { contractPackages, DeployerSubject, describeDeployer, waitForDeployment } from './deployer.contract';

interface GroupProperties {
  imageRegistryCredentials: unknown;
  containers: {
    properties: {
      image: string;
      resources: unknown;
      readinessProbe: { httpGet: unknown };
      livenessProbe: { httpGet: unknown };
      environmentVariables: { name: string; value: string }[];
    };
  }[];
}

// AciDeployer against the ARM fake's Container Instances, whose containers are the real scorer on loopback.
let fakes: Awaited<ReturnType<typeof startAciFakes>>;
let subject: DeployerSubject;
beforeAll(async () => {
  fakes = await startAciFakes();
  subject = { deployer: fakes.deployer, ...(await contractPackages()) };
});
afterAll(() => fakes.close());

describeDeployer('ACI on the ARM fake', () => subject);

describe('AciDeployer against the Container Instances fake', () => {
  const request = (name: string) => ({
    name,
    model: 'aci',
    version: 1,
    packageUri: subject.packageUri,
    cpu: 1,
    memoryGb: 1.5,
    tags: { 'canopy-instance': 'aci--0123456789abcdef' },
  });
  const failedOrRunning = (s?: { state: string }) => s?.state === 'running' || s?.state === 'failed';

  it('creates the container group the REST spec describes: scorer image, package, probes, identity, DNS label, tags', async () => {
    fakes.arm.requests.length = 0;
    await fakes.deployer.beginDeploy(request('canopy-aci-shape-v1'));
    const [put] = fakes.arm.requestsTo('PUT', '/containerGroups/canopy-aci-shape-v1');
    expect(put).toMatchObject({ status: 201, query: { 'api-version': containerInstanceApiVersion } });
    const body = put.body as { location: string; tags: Record<string, string>; identity: unknown; properties: GroupProperties };
    expect(body.location).toBe('eastus');
    expect(body.tags).toEqual({ 'canopy-kind': 'deployment', 'canopy-instance': 'aci--0123456789abcdef' });
    expect(body.identity).toEqual({ type: 'UserAssigned', userAssignedIdentities: { [fakes.azure.workloadIdentity.resourceId]: {} } });
    expect(body.properties).toMatchObject({
      osType: 'Linux',
      restartPolicy: 'Always',
      ipAddress: { type: 'Public', dnsNameLabel: 'canopy-aci-shape-v1', ports: [{ port: 8080, protocol: 'TCP' }] },
    });
    expect(body.properties.imageRegistryCredentials).toEqual([
      { server: 'canopyregistry.azurecr.io', identity: fakes.azure.workloadIdentity.resourceId },
    ]);
    const container = body.properties.containers[0].properties;
    expect(container.image).toBe(fakes.azure.scorerImage);
    expect(container.resources).toEqual({ requests: { cpu: 1, memoryInGB: 1.5 } });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/health', port: 8080, scheme: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/health', port: 8080, scheme: 'http' });
    const env = Object.fromEntries(container.environmentVariables.map((v: { name: string; value: string }) => [v.name, v.value]));
    expect(env).toEqual({
      MODEL_PACKAGE_URI: subject.packageUri,
      MODEL_NAME: 'aci',
      MODEL_VERSION: '1',
      SCORER_PORT: '8080',
      AZURE_CLIENT_ID: fakes.azure.workloadIdentity.clientId,
    });
    // No credential of any kind reaches the container group definition.
    expect(JSON.stringify(put.body)).not.toMatch(/AccountKey|sig=|password|secret/i);
    expect(fakes.arm.requestsTo('PUT', '/containerGroups/').every((r) => r.query['api-version'] === containerInstanceApiVersion)).toBe(
      true,
    );
    await fakes.deployer.delete('canopy-aci-shape-v1');
  });

  it('reports a create that ARM fails as failed, with its error', async () => {
    fakes.arm.faults.failNextCreate('Microsoft.ContainerInstance/containerGroups', {
      code: 'InaccessibleImage',
      message: "The image 'canopyregistry.azurecr.io/canopy-scorer:test' in container group 'canopy-aci-fail-v1' is not accessible.",
    });
    await fakes.deployer.beginDeploy(request('canopy-aci-fail-v1'));
    const status = await waitForDeployment(fakes.deployer, 'canopy-aci-fail-v1', failedOrRunning);
    expect(status).toMatchObject({ state: 'failed', error: expect.stringContaining('is not accessible') });
    await fakes.deployer.delete('canopy-aci-fail-v1');
  });

  it('reports a container in a crash loop as failed, with its last log lines', async () => {
    fakes.aci.injectContainerFault('crash-loop');
    await fakes.deployer.beginDeploy(request('canopy-aci-crash-v1'));
    const status = await waitForDeployment(fakes.deployer, 'canopy-aci-crash-v1', failedOrRunning);
    expect(status).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/restarted \d+ times \(last exit code 1\)[\s\S]*AuthorizationPermissionMismatch/),
    });
    expect(fakes.arm.requestsTo('GET', '/containers/scorer/logs')[0]).toMatchObject({
      status: 200,
      query: { 'api-version': containerInstanceApiVersion, tail: '50' },
    });
    await fakes.deployer.delete('canopy-aci-crash-v1');
  });

  it('keeps a group whose scorer never answers creating (the pipeline deadline decides)', async () => {
    fakes.aci.injectContainerFault('never-healthy');
    await fakes.deployer.beginDeploy(request('canopy-aci-mute-v1'));
    const status = await waitForDeployment(fakes.deployer, 'canopy-aci-mute-v1', (s) => s?.endpoint !== undefined, 40);
    expect(status).toMatchObject({ state: 'creating', endpoint: 'http://127.0.0.1:9' });
    expect((await fakes.deployer.getDeployment('canopy-aci-mute-v1'))?.state).toBe('creating');
    await fakes.deployer.delete('canopy-aci-mute-v1');
    expect(await waitForDeployment(fakes.deployer, 'canopy-aci-mute-v1', (s) => s === undefined)).toBeUndefined();
  });

  it('answers logs of a missing group with 404 and refuses a caller without the token with 401', async () => {
    await expect(fakes.client.containers.listLogs(aciResourceGroup, 'canopy-none', 'scorer')).rejects.toMatchObject({ statusCode: 404 });
    const stranger = new ContainerInstanceManagementClient(
      { getToken: async () => ({ token: 'not-the-token', expiresOnTimestamp: Date.now() + 60_000 }) },
      fakes.azure.subscriptionId,
      armClientOptions(fakes.azure.armEndpoint, azureAccess(fakes.azure)),
    );
    await expect(stranger.containerGroups.get(aciResourceGroup, 'canopy-none')).rejects.toMatchObject({ statusCode: 401 });
  });
});
