import { KubernetesFake } from '../../devhost/azureFakes/kubernetesFake';
import { fakeAzureToken } from '../../shared/composition';
import { startAksFakes } from './aksFakes';
import { fakeHttps } from '../support/fakeHttps';

// Azure RBAC for Kubernetes on the AKS fake's API server: a token maps to a principal's role assignments, and only a
// role that may write the namespace (RBAC Writer or Admin there, or Cluster Admin) may create in it; the API server
// refuses anything else with 403 Forbidden and AKS's message, which the deployer keeps.
const deployments = (namespace: string) => `/apis/apps/v1/namespaces/${namespace}/deployments`;

describe('the Kubernetes fake authorizes as Azure RBAC does', () => {
  let kube: KubernetesFake;
  const call = (token: string, method: string, path: string, body?: unknown) =>
    fakeHttps(`${kube.url}${path}`, method, { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body);

  beforeAll(async () => {
    kube = await new KubernetesFake({ token: 'deployer', scorerEntry: '/nonexistent' }).listen();
    kube.assignRoles('reader', [{ principal: 'reader-app', role: 'Azure Kubernetes Service RBAC Reader' }]);
    kube.assignRoles('team-a-writer', [{ principal: 'team-a-app', role: 'Azure Kubernetes Service RBAC Writer', namespace: 'team-a' }]);
    kube.assignRoles('admin', [{ principal: 'ops', role: 'Azure Kubernetes Service RBAC Cluster Admin' }]);
    kube.assignRoles('nobody', []);
  });
  afterAll(() => kube.close());

  it('answers 401 to a token that maps to no principal', async () => {
    expect((await call('stolen', 'GET', deployments('team-a'))).status).toBe(401);
  });

  it('lets a Reader read but refuses its writes with 403 Forbidden and the reason', async () => {
    // 404: authorized, and there is no such Deployment.
    expect((await call('reader', 'GET', `${deployments('team-a')}/x`)).status).toBe(404);
    expect(await call('reader', 'POST', deployments('team-a'), {})).toEqual({
      status: 403,
      headers: expect.anything(),
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        reason: 'Forbidden',
        code: 403,
        message:
          'deployments.apps is forbidden: User "reader-app" cannot create resource "deployments" in API group "apps" in the namespace ' +
          '"team-a": User does not have access to the resource in Azure. Update role assignment to allow access.',
      },
    });
  });

  it('lets a Writer write its own namespace only', async () => {
    // 422: authorized, then the empty Deployment is invalid.
    expect((await call('team-a-writer', 'POST', deployments('team-a'), {})).status).toBe(422);
    expect((await call('team-a-writer', 'POST', deployments('team-b'), {})).status).toBe(403);
    expect((await call('team-a-writer', 'DELETE', `${deployments('team-b')}/x`)).status).toBe(403);
    expect((await call('team-a-writer', 'GET', `/api/v1/namespaces/team-b/pods`)).status).toBe(403);
  });

  it('lets a Cluster Admin write anywhere, and an authenticated principal without a role nothing', async () => {
    expect((await call('admin', 'POST', deployments('team-b'), {})).status).toBe(422);
    expect((await call('nobody', 'GET', deployments('team-a'))).status).toBe(403);
  });
});

describe('the AKS deployer when its identity may not write the namespace', () => {
  let fakes: Awaited<ReturnType<typeof startAksFakes>>;
  beforeAll(async () => {
    fakes = await startAksFakes(2000);
  });
  afterAll(() => fakes.close());

  it('fails with K8S.FORBIDDEN, permanent, carrying the API server message', async () => {
    fakes.kube.assignRoles(fakeAzureToken, [
      { principal: 'canopy-workload', role: 'Azure Kubernetes Service RBAC Writer', namespace: 'somewhere-else' },
    ]);
    const err = await fakes.deployer
      .beginDeploy({
        name: 'canopy-forbidden-v1',
        model: 'forbidden',
        version: 1,
        packageUri: 'https://127.0.0.1:1/p/',
        cpu: 0.5,
        memoryGb: 1,
      })
      .then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
    expect(err).toMatchObject({
      code: 'K8S.FORBIDDEN',
      transient: false,
      message: expect.stringMatching(
        /^deployments\.apps( "canopy-forbidden-v1")? is forbidden: User "canopy-workload" cannot (get|create) resource "deployments" in API group "apps" in the namespace "canopy"/,
      ),
    });
    expect(fakes.kube.requests.filter((r) => r.status === 201)).toEqual([]);
  });
});
