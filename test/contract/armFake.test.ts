import { ArmFake } from '../../devhost/azureFakes/arm/armFake';
import { ResourceTypeDefinition } from '../../devhost/azureFakes/arm/armTypes';
import { fakeHttps } from '../support/fakeHttps';

// The ARM fake framework itself, spoken to over raw HTTPS: what every provider registered on it gets for free.
const token = 'test-token';
const subscription = '00000000-0000-0000-0000-000000000001';
const widgets: ResourceTypeDefinition = {
  namespace: 'Microsoft.Test',
  type: 'widgets',
  apiVersions: ['2024-01-01'],
  validate: (body) => (typeof body.location === 'string' ? [] : ['location is required']),
  accept: (body, identity) => ({
    resource: { ...identity, location: String(body.location), properties: { provisioningState: 'Accepted' } },
    hidden: { secret: (body.properties as { secret?: string } | undefined)?.secret },
  }),
  createStatus: 201,
  lifecycle: {
    create: [
      { afterMs: 0, properties: { provisioningState: 'Creating' } },
      { afterMs: 300, properties: { provisioningState: 'Succeeded' } },
    ],
    failed: (error) => ({ reason: error.code }),
    deleting: { provisioningState: 'Deleting' },
    deleteMs: 200,
  },
};

function call(url: string, method = 'GET', body?: unknown, auth: string | null = `Bearer ${token}`) {
  const headers: Record<string, string> = auth ? { authorization: auth } : {};
  return fakeHttps(url, method, body === undefined ? headers : { ...headers, 'content-type': 'application/json' }, body);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ARM fake framework', () => {
  let fake: ArmFake;
  const widget = (name: string, apiVersion = '2024-01-01') =>
    `${fake.url}/subscriptions/${subscription}/resourceGroups/rg1/providers/Microsoft.Test/widgets/${name}?api-version=${apiVersion}`;

  beforeAll(async () => {
    fake = await new ArmFake({ token, subscriptionId: subscription, resourceGroups: ['rg1'], pollAfterSeconds: 0 })
      .register(widgets)
      .listen();
  });
  afterAll(() => fake.close());

  it('answers 401 without a bearer token or with a wrong one, and logs requests without the token', async () => {
    expect((await call(widget('w0'), 'GET', undefined, null)).body?.error?.code).toBe('AuthenticationFailed');
    const wrong = await call(widget('w0'), 'GET', undefined, 'Bearer nope');
    expect(wrong.status).toBe(401);
    expect(wrong.body?.error?.code).toBe('InvalidAuthenticationToken');
    expect(fake.requests.every((r) => !JSON.stringify(r).includes(token))).toBe(true);
    expect(fake.requestsTo('GET', '/widgets/w0').map((r) => r.status)).toEqual([401, 401]);
  });

  it('checks api-version, subscription, resource group, type and body', async () => {
    expect((await call(widget('w0').replace(/\?.*/, ''))).body?.error?.code).toBe('MissingApiVersionParameter');
    const old = await call(widget('w0', '2020-01-01'));
    expect([old.status, old.body?.error?.code]).toEqual([400, 'NoRegisteredProviderFound']);
    expect(old.body?.error?.message).toContain('2024-01-01');
    expect((await call(widget('w0').replace(subscription, 'other'))).body?.error?.code).toBe('SubscriptionNotFound');
    expect((await call(widget('w0').replace('/rg1/', '/rg2/'))).body?.error?.code).toBe('ResourceGroupNotFound');
    expect((await call(widget('w0').replace('/widgets/', '/gadgets/'))).body?.error?.code).toBe('InvalidResourceType');
    const invalid = await call(widget('w0'), 'PUT', { properties: {} });
    expect([invalid.status, invalid.body?.error?.code]).toEqual([400, 'InvalidRequestContent']);
    expect(invalid.body?.error?.message).toContain('location is required');
    const missing = await call(widget('w0'));
    expect([missing.status, missing.body?.error?.code]).toEqual([404, 'ResourceNotFound']);
  });

  it('runs a create as a long-running operation: 201 with Azure-AsyncOperation, InProgress then Succeeded', async () => {
    const created = await call(widget('w1'), 'PUT', { location: 'eastus', properties: { secret: 's3' } });
    expect(created.status).toBe(201);
    expect(created.body?.properties).toEqual({ provisioningState: 'Creating' });
    expect(created.body?.id).toBe(`/subscriptions/${subscription}/resourceGroups/rg1/providers/Microsoft.Test/widgets/w1`);
    const status = String(created.headers['azure-asyncoperation']);
    expect(status).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/subscriptions\/.+\/operationStatuses\/.+\?api-version=2024-01-01$/);
    expect((await call(status)).body?.status).toBe('InProgress');
    expect((await call(String(created.headers.location))).status).toBe(202);
    await sleep(350);
    expect((await call(status)).body?.status).toBe('Succeeded');
    expect((await call(String(created.headers.location))).body?.properties).toEqual({ provisioningState: 'Succeeded' });
    expect((await call(widget('w1'))).body?.properties).toEqual({ provisioningState: 'Succeeded' });
    expect(fake.resource(fake.resourceId('rg1', 'Microsoft.Test/widgets', 'w1'))?.hidden).toEqual({ secret: 's3' });
    expect((await call(widget('').replace('/widgets/?', '/widgets?'))).body?.value).toHaveLength(1);
  });

  it('deletes with 202 + Location, Deleting while it runs, then 404; deleting nothing answers 204', async () => {
    const deleting = await call(widget('w1'), 'DELETE');
    expect(deleting.status).toBe(202);
    expect((await call(widget('w1'))).body?.properties).toMatchObject({ provisioningState: 'Deleting' });
    expect((await call(String(deleting.headers.location))).status).toBe(202);
    const conflict = await call(widget('w1'), 'PUT', { location: 'eastus' });
    expect([conflict.status, conflict.body?.error?.code]).toEqual([409, 'Conflict']);
    await sleep(250);
    expect((await call(String(deleting.headers.location))).status).toBe(204);
    expect((await call(String(deleting.headers['azure-asyncoperation']))).body?.status).toBe('Succeeded');
    expect((await call(widget('w1'))).status).toBe(404);
    expect((await call(widget('w1'), 'DELETE')).status).toBe(204);
  });

  it('injects faults: a failed create with its error body, a create that never settles, 429 with Retry-After', async () => {
    fake.faults.failNextCreate('Microsoft.Test/widgets', { code: 'QuotaExceeded', message: 'no cores left' }, { afterMs: 0 });
    const failing = await call(widget('w2'), 'PUT', { location: 'eastus' });
    const status = await call(String(failing.headers['azure-asyncoperation']));
    expect(status.body).toMatchObject({ status: 'Failed', error: { code: 'QuotaExceeded', message: 'no cores left' } });
    expect((await call(String(failing.headers.location))).body?.error?.code).toBe('QuotaExceeded');
    expect((await call(widget('w2'))).body?.properties).toEqual({ provisioningState: 'Failed', reason: 'QuotaExceeded' });

    fake.faults.holdNextCreate('Microsoft.Test/widgets');
    const held = await call(widget('w3'), 'PUT', { location: 'eastus' });
    await sleep(350);
    expect((await call(String(held.headers['azure-asyncoperation']))).body?.status).toBe('InProgress');
    expect((await call(widget('w3'))).body?.properties).toEqual({ provisioningState: 'Creating' });

    fake.faults.throttle({ method: 'GET', pathIncludes: '/widgets/w3' }, { retryAfterSeconds: 7 });
    const throttled = await call(widget('w3'));
    expect([throttled.status, throttled.headers['retry-after'], throttled.body?.error?.code]).toEqual([429, '7', 'TooManyRequests']);
    expect((await call(widget('w3'))).status).toBe(200);
  });

  it('refuses the next create outright with the refusal built from the resource, then creates normally', async () => {
    fake.faults.refuseNextCreate('Microsoft.Test/widgets', (resource) => ({
      status: 403,
      headers: { 'x-ms-failure-cause': 'gateway' },
      body: { error: { code: 'AuthorizationFailed', message: `no write on ${resource.id}` } },
    }));
    const refused = await call(widget('w4'), 'PUT', { location: 'eastus' });
    expect([refused.status, refused.headers['x-ms-failure-cause'], refused.body?.error]).toEqual([
      403,
      'gateway',
      {
        code: 'AuthorizationFailed',
        message: `no write on /subscriptions/${subscription}/resourceGroups/rg1/providers/Microsoft.Test/widgets/w4`,
      },
    ]);
    expect(refused.headers['azure-asyncoperation']).toBeUndefined();
    expect((await call(widget('w4'))).status).toBe(404);
    expect((await call(widget('w4'), 'PUT', { location: 'eastus' })).status).toBe(201);
  });
});
