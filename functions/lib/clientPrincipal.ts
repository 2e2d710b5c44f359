import { ApiError } from './http';

/** Who App Service Authentication signed in, from the headers the platform injects (and strips from the client's request). */
export interface SignedInUser {
  id: string;
  name: string;
  authType: string;
}

interface PrincipalClaim {
  typ: string;
  val: string;
}

interface ClientPrincipal {
  auth_typ: string;
  name_typ?: string;
  claims: PrincipalClaim[];
}

/** The only provider infra/ configures: a principal of any other kind did not come from this app's sign-in. */
const entraAuthType = 'aad';

/** A real principal is a few KiB; a much larger header is not one the platform wrote. */
const maxPrincipalChars = 32 * 1024;

/** Claims that carry the Entra object id, which the platform puts in `x-ms-client-principal-id`. */
const idClaimTypes = ['http://schemas.microsoft.com/identity/claims/objectidentifier', 'oid'];

/** Claims the platform may take `x-ms-client-principal-name` from (the principal's `name_typ` first). */
const nameClaimTypes = [
  'name',
  'preferred_username',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
];

const badPrincipal = (why: string) => new ApiError(401, 'AUTH.BAD_PRINCIPAL', `the sign-in principal is not valid: ${why}`);

function decodePrincipal(encoded: string): ClientPrincipal {
  if (encoded.length > maxPrincipalChars || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded)) throw badPrincipal('not base64');
  let principal: unknown;
  try {
    principal = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
  } catch {
    throw badPrincipal('not JSON');
  }
  const p = principal as Partial<ClientPrincipal> | null;
  if (!p || typeof p !== 'object' || Array.isArray(p)) throw badPrincipal('not a JSON object');
  if (typeof p.auth_typ !== 'string' || p.auth_typ === '') throw badPrincipal('no auth_typ');
  if (p.name_typ !== undefined && typeof p.name_typ !== 'string') throw badPrincipal('name_typ is not a string');
  if (!Array.isArray(p.claims) || !p.claims.every((c) => c && typeof c.typ === 'string' && typeof c.val === 'string'))
    throw badPrincipal('claims must be a list of { typ, val }');
  return p as ClientPrincipal;
}

/**
 * The signed-in Entra ID user, or a 401: the three principal headers must all be there, the principal must decode to
 * the platform's JSON shape, come from Entra ID, and name the same id and user as the id and name headers.
 */
export function signedInUser(headers: { get(name: string): string | null }): SignedInUser {
  const encoded = headers.get('x-ms-client-principal');
  const id = headers.get('x-ms-client-principal-id');
  const name = headers.get('x-ms-client-principal-name');
  if (!encoded || !id || !name) throw new ApiError(401, 'AUTH.UNAUTHENTICATED', 'sign in with Entra ID to use the dashboard');
  const principal = decodePrincipal(encoded);
  if (principal.auth_typ !== entraAuthType) throw badPrincipal(`signed in with ${principal.auth_typ}, not Entra ID`);
  const claimValues = (types: string[]) => principal.claims.filter((c) => types.includes(c.typ)).map((c) => c.val);
  if (!claimValues(idClaimTypes).includes(id)) throw badPrincipal('the principal id does not match its object id claim');
  if (!claimValues([...(principal.name_typ ? [principal.name_typ] : []), ...nameClaimTypes]).includes(name))
    throw badPrincipal('the principal name does not match its name claim');
  return { id, name, authType: principal.auth_typ };
}
