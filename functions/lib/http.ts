import { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { pipelineOfInstance } from '../../shared/domain/naming';
import { CanopyError, retryAfterMs, toCanopyError } from '../../shared/errors';

/** A refusal of the HTTP layer itself, with its status named where it is thrown. */
export class ApiError extends CanopyError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(code, message, false, details);
  }
}

/** The services Canopy calls: a permanent refusal of theirs is a fault of ours, not of the caller's request. */
const dependencyCodes = /^(ARM|LIVY|COSMOS|STORAGE|NETWORK|INTERNAL)\./;

/** The status of a permanent refusal by its code; another refusal conflicts with the state it found. */
const statusByCode: [RegExp, number][] = [
  [/NOT_FOUND$/, 404],
  [/^(SPEC|REQUEST)\.|\.INVALID/, 400],
  [/\.CONFLICT$|^MODEL\.NOT_DEPLOYED$|^RUN\..*ALREADY/, 409],
];

/** The status a Canopy error answers with; undefined for a fault of ours, which the host answers with a 500. */
function statusOf(err: CanopyError): number | undefined {
  if (err instanceof ApiError) return err.status;
  if (err.transient) return 503;
  if (dependencyCodes.test(err.code)) return undefined;
  return statusByCode.find(([pattern]) => pattern.test(err.code))?.[1] ?? 409;
}

const isCoded = (err: unknown): boolean =>
  err instanceof CanopyError ||
  (typeof (err as { code?: unknown })?.code === 'string' && typeof (err as { transient?: unknown }).transient === 'boolean');

/** `{ error: { code, message, details? } }` with the status of a Canopy error; anything else is rethrown. */
export function errorResponse(err: unknown): HttpResponseInit {
  if (!isCoded(err)) throw err;
  const e = toCanopyError(err);
  if (e.code === 'CONFIG.INVALID')
    return { status: 500, jsonBody: { error: { code: e.code, message: 'the app is misconfigured; see its log' } } };
  const status = statusOf(e);
  if (status === undefined) throw err;
  const retryAfter = e.transient ? retryAfterMs(e) : undefined;
  return {
    status,
    ...(retryAfter !== undefined ? { headers: { 'retry-after': String(Math.ceil(retryAfter / 1000)) } } : {}),
    jsonBody: { error: { code: e.code, message: e.message, ...(e.details !== undefined ? { details: e.details } : {}) } },
  };
}

/**
 * Wraps a handler so that Canopy errors become their JSON responses; anything else is a 500 the host logs. A
 * transient fault (503) is logged here, since the host sees only the response.
 */
export function handled<A extends unknown[]>(
  handler: (...args: A) => Promise<HttpResponseInit>,
): (...args: A) => Promise<HttpResponseInit> {
  return async (...args: A) => {
    try {
      return await handler(...args);
    } catch (err) {
      const response = errorResponse(err);
      if (response.status === 503) (args[1] as InvocationContext | undefined)?.warn(`answered 503: ${(err as Error).message}`);
      return response;
    }
  };
}

const maxJsonBytes = 256 * 1024;

/** Deeper than any document this API takes; the validators and clones after parsing recurse once per level. */
const maxJsonDepth = 32;

/** Content types a JSON body may be declared as: JSON itself, or what `fetch` sends for a string body. */
const jsonContentType = /^(application\/([\w.+-]+\+)?json|text\/plain)\s*(;|$)/i;

/** How deeply the document nests, counted on its text so that a hostile depth is refused before anything recurses. */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth -= 1;
  }
  return deepest;
}

/** The request's JSON body, refused with 413 past `limit` bytes, 415 when declared as another type and 400 when it is not JSON. */
export async function readJson(req: HttpRequest, limit = maxJsonBytes, optional = false): Promise<unknown> {
  const contentType = req.headers.get('content-type');
  if (contentType !== null && contentType.trim() !== '' && !jsonContentType.test(contentType))
    throw new ApiError(415, 'REQUEST.UNSUPPORTED_MEDIA_TYPE', `send application/json (got "${contentType.slice(0, 100)}")`);
  const declared = Number(req.headers.get('content-length') ?? 0);
  if (declared > limit) throw new ApiError(413, 'REQUEST.TOO_LARGE', `the body is larger than ${limit} bytes`);
  const text = await req.text();
  if (Buffer.byteLength(text) > limit) throw new ApiError(413, 'REQUEST.TOO_LARGE', `the body is larger than ${limit} bytes`);
  if (text.trim() === '') {
    if (optional) return undefined;
    throw new ApiError(400, 'REQUEST.EMPTY', 'the body must be a JSON document');
  }
  if (nestingDepth(text) > maxJsonDepth) throw new ApiError(400, 'REQUEST.BAD_JSON', `the body nests deeper than ${maxJsonDepth} levels`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, 'REQUEST.BAD_JSON', `the body is not valid JSON: ${(err as Error).message}`);
  }
}

/** The names pipelines (and the models they register) may have; anything else names nothing stored. */
const resourceName = /^[a-z][a-z0-9-]{1,38}[a-z0-9]$/;

/** A pipeline or model name from the route, answered 404 when it cannot name anything, before any store sees it. */
export function nameParam(value: string | undefined, notFoundCode: string, what: string): string {
  if (value === undefined || !resourceName.test(value))
    throw new ApiError(404, notFoundCode, `no ${what} named "${printable(value ?? '')}"`);
  return value;
}

/** A run id from the route: it must be one of this pipeline's runs, so another pipeline's run is a 404 too. */
export function runIdParam(pipeline: string, value: string | undefined): string {
  if (value === undefined || pipelineOfInstance(value) !== pipeline)
    throw new ApiError(404, 'RUN.NOT_FOUND', `pipeline ${pipeline} has no run ${printable(value ?? '')}`);
  return value;
}

/** A caller's value echoed in a message: bounded and without control characters. */
export function printable(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.slice(0, 80).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
}

export function positiveIntParam(value: string | null, name: string, fallback: number, max: number): number {
  if (value === null || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new ApiError(400, 'REQUEST.BAD_PARAMETER', `${name} must be an integer from 1 to ${max}`);
  return n;
}
