import { randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { config, Runtime } from '../../shared/config';
import { SignedInUser, signedInUser } from './clientPrincipal';
import { ApiError, handled } from './http';

/** The double-submit pair: the cookie the session route sets, echoed by the dashboard in this header. */
export const csrfCookieName = 'canopy-csrf';
export const csrfHeaderName = 'x-canopy-csrf';
const csrfToken = /^[0-9a-f]{64}$/;

const loopbackNames = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function isLoopbackAddress(address: string): boolean {
  // `x-forwarded-for` entries may carry a port (`127.0.0.1:5123`, `[::1]:5123`).
  const bare = address
    .trim()
    .replace(/^\[([^\]]+)\](:\d+)?$/, '$1')
    .replace(/^(\d+\.\d+\.\d+\.\d+):\d+$/, '$1');
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1' || bare.startsWith('::ffff:127.');
}

/**
 * The local stack has no sign-in, so it serves loopback alone: the client address the host reports must be loopback
 * (a remote client when the host listens wider), and so must the Host header (a web page that rebinds its own name to
 * 127.0.0.1 would otherwise read the dashboard from the user's browser).
 */
function loopbackUser(req: HttpRequest): SignedInUser {
  const host = new URL(req.url).hostname;
  const forwarded = req.headers.get('x-forwarded-for');
  if (!loopbackNames.has(host) || !forwarded || !forwarded.split(',').every(isLoopbackAddress))
    throw new ApiError(403, 'AUTH.NOT_LOOPBACK', 'the local dashboard answers loopback requests only');
  return { id: 'local', name: 'local user', authType: 'loopback' };
}

/** Who is asking: on the local stack a loopback caller, in Azure the Entra ID user App Service Authentication signed in. */
export function dashboardUser(req: HttpRequest, runtime: Runtime): SignedInUser {
  return runtime === 'local' ? loopbackUser(req) : signedInUser(req.headers);
}

export function cookieValue(req: HttpRequest, name: string): string | undefined {
  for (const part of (req.headers.get('cookie') ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/** The session's CSRF token: the one its cookie holds, or a new one. */
export function sessionCsrfToken(req: HttpRequest): string {
  const existing = cookieValue(req, csrfCookieName);
  return existing && csrfToken.test(existing) ? existing : randomBytes(32).toString('hex');
}

export function csrfCookie(token: string, runtime: Runtime): string {
  return `${csrfCookieName}=${token}; Path=/api/ui; SameSite=Strict; HttpOnly${runtime === 'azure' ? '; Secure' : ''}`;
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

const csrfRefusal = (why: string) => new ApiError(403, 'AUTH.CSRF', `cross-site request refused: ${why}`);

/**
 * A state-changing request must come from the dashboard's own page: its header echoes the cookie (another site can
 * neither read the cookie nor set the header without a CORS preflight this app never answers), and what the browser
 * says of its origin names this app.
 */
export function checkSameSite(req: HttpRequest): void {
  const cookie = cookieValue(req, csrfCookieName);
  const header = req.headers.get(csrfHeaderName);
  if (!cookie || !header || !csrfToken.test(cookie) || !csrfToken.test(header))
    throw csrfRefusal(`send the ${csrfHeaderName} header with the token GET /api/ui/session gave`);
  if (!timingSafeEqual(Buffer.from(cookie), Buffer.from(header))) throw csrfRefusal(`the ${csrfHeaderName} header does not match`);
  const origin = req.headers.get('origin');
  // Hosts compared, not schemes: behind the platform's TLS front end the app may see its own URL as http.
  if (origin !== null && hostOf(origin) !== new URL(req.url).host) throw csrfRefusal(`origin ${origin} is not this app`);
  const fetchSite = req.headers.get('sec-fetch-site');
  if (fetchSite !== null && fetchSite !== 'same-origin') throw csrfRefusal(`the browser says the request is ${fetchSite}`);
}

export type DashboardHandler = (req: HttpRequest, context: InvocationContext, user: SignedInUser) => Promise<HttpResponseInit>;

/**
 * The one gate of every dashboard route: who is asking (loopback / signed in), and for a state-changing route that the
 * dashboard's own page is asking. Answers are never cached by anything between the app and the browser.
 */
export function dashboardRoute(handler: DashboardHandler, options: { changesState?: boolean } = {}) {
  return handled(async (req: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const user = dashboardUser(req, config().runtime);
    if (options.changesState) checkSameSite(req);
    const response = await handler(req, context, user);
    return { ...response, headers: { 'cache-control': 'no-store', ...(response.headers as Record<string, string> | undefined) } };
  });
}
