import { HttpRequest, InvocationContext } from '@azure/functions';
import { signedInUser } from '../../functions/lib/clientPrincipal';
import { dashboardRoute } from '../../functions/lib/dashboardAccess';

// The Azure runtime, as far as the gate asks: the rest of the configuration is not read on this path.
jest.mock('../../shared/config', () => ({ ...jest.requireActual('../../shared/config'), config: () => ({ runtime: 'azure' }) }));

const oidClaim = 'http://schemas.microsoft.com/identity/claims/objectidentifier';
const oid = '6f1d2c34-1111-4a2b-9c3d-0123456789ab';
const principal = (overrides: Record<string, unknown> = {}) => ({
  auth_typ: 'aad',
  name_typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  role_typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
  claims: [
    { typ: oidClaim, val: oid },
    { typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', val: 'ada@contoso.example' },
    { typ: 'name', val: 'Ada Lovelace' },
  ],
  ...overrides,
});
const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

/** The headers App Service Authentication injects for a signed-in user. */
const injected = (value: unknown = principal(), id = oid, name = 'ada@contoso.example') => ({
  'x-ms-client-principal': typeof value === 'string' ? value : encode(value),
  'x-ms-client-principal-id': id,
  'x-ms-client-principal-name': name,
});

const request = (headers: Record<string, string>, method = 'GET') =>
  new HttpRequest({ url: 'https://canopy-app.azurewebsites.net/api/ui/pipelines', method, headers });

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return `${(err as { status?: number }).status} ${(err as { code?: string }).code}`;
  }
};

describe('the App Service Authentication principal', () => {
  it('is the signed-in Entra ID user when the three headers agree', () => {
    expect(signedInUser(request(injected()).headers)).toEqual({ id: oid, name: 'ada@contoso.example', authType: 'aad' });
  });

  it('is refused with 401 when any injected header is missing', () => {
    for (const missing of ['x-ms-client-principal', 'x-ms-client-principal-id', 'x-ms-client-principal-name']) {
      const headers: Record<string, string> = injected();
      delete headers[missing];
      expect(codeOf(() => signedInUser(request(headers).headers))).toBe('401 AUTH.UNAUTHENTICATED');
    }
  });

  it.each([
    ['not base64', injected('%%% not base64 %%%')],
    ['not JSON', injected(Buffer.from('{nope').toString('base64'))],
    ['not an object', injected([1, 2])],
    ['claims not a list of { typ, val }', injected(principal({ claims: [{ typ: oidClaim }] }))],
    ['another provider', injected(principal({ auth_typ: 'github' }))],
    ['an id the claims do not hold', injected(principal(), '00000000-0000-0000-0000-000000000000')],
    ['a name the claims do not hold', injected(principal(), oid, 'mallory@evil.example')],
  ])('is refused with 401 when it is %s', (_why, headers) => {
    expect(codeOf(() => signedInUser(request(headers).headers))).toBe('401 AUTH.BAD_PRINCIPAL');
  });
});

describe('a dashboard route in the Azure runtime', () => {
  const context = new InvocationContext();
  const read = dashboardRoute(async (_req, _ctx, user) => ({ jsonBody: { user } }));
  const act = dashboardRoute(async () => ({ status: 202 }), { changesState: true });
  const token = 'ab'.repeat(32);

  it('refuses a request without the injected principal with a 401 JSON error', async () => {
    const res = await read(request({}), context);
    expect(res.status).toBe(401);
    expect(res.jsonBody).toEqual({ error: { code: 'AUTH.UNAUTHENTICATED', message: expect.any(String) } });
  });

  it('answers the signed-in user, never cached', async () => {
    const res = await read(request(injected()), context);
    expect(res.status).toBeUndefined();
    expect(res.jsonBody).toEqual({ user: { id: oid, name: 'ada@contoso.example', authType: 'aad' } });
    expect((res.headers as Record<string, string>)['cache-control']).toBe('no-store');
  });

  it('does not treat a local caller as signed in', async () => {
    const local = new HttpRequest({ url: 'http://localhost/api/ui/pipelines', method: 'GET', headers: { 'x-forwarded-for': '127.0.0.1' } });
    expect((await read(local, context)).status).toBe(401);
  });

  it('lets a signed-in user act only with the token echoed from the cookie and from this origin', async () => {
    const signedIn = { ...injected(), cookie: `other=1; canopy-csrf=${token}` };
    expect((await act(request(signedIn, 'POST'), context)).status).toBe(403);
    expect((await act(request({ ...signedIn, 'x-canopy-csrf': token, 'sec-fetch-site': 'cross-site' }, 'POST'), context)).status).toBe(403);
    expect((await act(request({ ...signedIn, 'x-canopy-csrf': token, origin: 'https://evil.example' }, 'POST'), context)).status).toBe(403);
    const sameSite = {
      ...signedIn,
      'x-canopy-csrf': token,
      origin: 'https://canopy-app.azurewebsites.net',
      'sec-fetch-site': 'same-origin',
    };
    expect((await act(request(sameSite, 'POST'), context)).status).toBe(202);
    expect((await act(request({ ...sameSite, ...{ 'x-ms-client-principal': '' } }, 'POST'), context)).status).toBe(401);
  });
});
