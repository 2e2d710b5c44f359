import https from 'node:https';
import { containerServiceApiVersion } from '../../devhost/azureFakes/containerServiceClusters';
import { aksDeployer } from '../../shared/composition';
import { aksCluster, startAksFakes } from './aksFakes';
import { contractPackages, DeployerSubject, describeDeployer, waitForDeployment } from './deployer.contract';

// AksDeployer against the ARM fake's managed cluster and the Kubernetes API fake, whose pods are the real scorer.
let fakes: Awaited<ReturnType<typeof startAksFakes>>;
let subject: DeployerSubject;
beforeAll(async () => {
  fakes = await startAksFakes(4000);
  subject = { deployer: fakes.deployer, ...(await contractPackages()) };
});
afterAll(() => fakes.close());

describeDeployer('AKS on the Kubernetes fake', () => subject);

interface SentDeployment {
  metadata: { annotations: Record<string, string>; labels: Record<string, string> };
  spec: {
    strategy: unknown;
    template: { metadata: { labels: Record<string, string> }; spec: { serviceAccountName: string; containers: SentContainer[] } };
  };
}
interface SentContainer {
  image: string;
  env: { name: string; value: string }[];
  resources: unknown;
  readinessProbe: { httpGet: unknown };
}

async function healthOf(endpoint: string | undefined): Promise<{ version?: string }> {
  return (await (await fetch(`${endpoint}/health`)).json()) as { version?: string };
}

/** The version the endpoint serves once it is `wanted`, or the last one seen. */
async function servedVersion(endpoint: string | undefined, wanted: string): Promise<string | undefined> {
  let version: string | undefined;
  for (let i = 0; i < 120 && version !== wanted; i++) {
    version = await healthOf(endpoint).then(
      (h) => h.version,
      () => undefined,
    );
    if (version !== wanted) await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return version;
}

describe('AksDeployer against the Kubernetes fake', () => {
  const request = (name: string, version: number) => ({
    name,
    model: 'aks',
    version,
    packageUri: subject.packageUri,
    cpu: 0.5,
    memoryGb: 1,
    tags: { 'canopy-instance': 'aks--0123456789abcdef', 'canopy-expires-at': '2026-01-01T00:00:00.000Z' },
  });
  const running = (s?: { state: string }) => s?.state === 'running' || s?.state === 'failed';

  it('gets the user kubeconfig from ARM and sends the Deployment and Service the API server accepts', async () => {
    await fakes.deployer.beginDeploy(request('canopy-aks-shape-v1', 1));
    const [credentials] = fakes.arm.requestsTo('POST', `/managedClusters/${aksCluster}/listClusterUserCredential`);
    expect(credentials).toMatchObject({ status: 200, query: { 'api-version': containerServiceApiVersion } });
    const post = fakes.kube.requests.find(
      (r) =>
        r.method === 'POST' &&
        r.path === '/apis/apps/v1/namespaces/canopy/deployments' &&
        JSON.stringify(r.body).includes('canopy-aks-shape-v1'),
    );
    expect(post?.status).toBe(201);
    const sent = post?.body as SentDeployment;
    expect(sent.metadata.annotations).toMatchObject({ 'canopy-kind': 'deployment', 'canopy-expires-at': '2026-01-01T00:00:00.000Z' });
    expect(sent.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    expect(sent.spec.template.metadata.labels).toMatchObject({
      'canopy.io/deployment': 'canopy-aks-shape-v1',
      'azure.workload.identity/use': 'true',
    });
    expect(sent.spec.template.spec.serviceAccountName).toBe('canopy-scorer');
    const container = sent.spec.template.spec.containers[0];
    expect(container.image).toBe(fakes.azure.scorerImage);
    expect(container.resources).toEqual({ requests: { cpu: '0.5', memory: '1024Mi' }, limits: { cpu: '0.5', memory: '1024Mi' } });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/health', port: 8080 });
    expect(Object.fromEntries(container.env.map((e) => [e.name, e.value]))).toMatchObject({
      MODEL_PACKAGE_URI: subject.packageUri,
      AZURE_CLIENT_ID: fakes.azure.workloadIdentity.clientId,
    });
    const service = fakes.kube.requests.find(
      (r) =>
        r.method === 'POST' && r.path === '/api/v1/namespaces/canopy/services' && JSON.stringify(r.body).includes('canopy-aks-shape-v1'),
    );
    expect(service).toMatchObject({
      status: 201,
      body: { spec: { type: 'LoadBalancer', ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] } },
    });
    await fakes.deployer.delete('canopy-aks-shape-v1');
  });

  it('rolls an update out while the old pod serves, and rolls a failed update back', async () => {
    const name = 'canopy-aks-roll';
    await fakes.deployer.beginDeploy(request(name, 1));
    const first = await waitForDeployment(fakes.deployer, name, running);
    expect(first?.state).toBe('running');
    expect(await healthOf(first?.endpoint)).toMatchObject({ version: '1' });

    await fakes.deployer.beginDeploy(request(name, 2));
    // The new pod is still loading: the old one keeps answering through the same endpoint.
    expect(await healthOf(first?.endpoint)).toMatchObject({ version: '1' });
    expect(await servedVersion(first?.endpoint, '2')).toBe('2');
    expect((await fakes.deployer.getDeployment(name))?.state).toBe('running');

    fakes.kube.neverReady();
    await fakes.deployer.beginDeploy(request(name, 3));
    const failed = await waitForDeployment(fakes.deployer, name, (s) => s?.state === 'failed');
    expect(failed).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/timed out progressing; rolled back to the previous template; last log lines:\n.*never answers/),
    });
    expect(await waitForDeployment(fakes.deployer, name, (s) => s?.state === 'running')).toMatchObject({ state: 'running' });
    expect(await servedVersion(first?.endpoint, '2')).toBe('2');
    await fakes.deployer.delete(name);
  });

  it('answers 401 without the token and 404 for a cluster ARM does not know', async () => {
    const status = await new Promise<number | undefined>((resolve, reject) =>
      https
        .get(`${fakes.kube.url}/apis/apps/v1/namespaces/canopy/deployments/x`, { rejectUnauthorized: false }, (res) => {
          res.resume();
          resolve(res.statusCode);
        })
        .on('error', reject),
    );
    expect(status).toBe(401);
    const elsewhere = aksDeployer({ healthTimeoutMs: 1000 }, { ...fakes.azure, aks: { cluster: 'no-such-cluster', namespace: 'canopy' } });
    await expect(elsewhere.getDeployment('x')).rejects.toMatchObject({ code: 'ARM.NOT_FOUND', transient: false });
  });
});
