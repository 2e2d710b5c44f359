import { HttpRequest, HttpResponseInit } from '@azure/functions';

/** An error the API answers with `{ error: { code, message, details? } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export function errorResponse(err: unknown): HttpResponseInit {
  if (err instanceof ApiError) {
    return {
      status: err.status,
      jsonBody: { error: { code: err.code, message: err.message, ...(err.details !== undefined ? { details: err.details } : {}) } },
    };
  }
  const code = (err as { code?: unknown }).code;
  if (code === 'CONFIG.INVALID') return { status: 500, jsonBody: { error: { code, message: 'the app is misconfigured; see its log' } } };
  throw err;
}

/** Wraps a handler so that API errors become their JSON responses; anything else is a 500 the host logs. */
export function handled<A extends unknown[]>(
  handler: (...args: A) => Promise<HttpResponseInit>,
): (...args: A) => Promise<HttpResponseInit> {
  return async (...args: A) => {
    try {
      return await handler(...args);
    } catch (err) {
      return errorResponse(err);
    }
  };
}

export const maxJsonBytes = 256 * 1024;

/** The request's JSON body, refused with 413 past `limit` bytes and 400 when it is not JSON. */
export async function readJson(req: HttpRequest, limit = maxJsonBytes, optional = false): Promise<unknown> {
  const declared = Number(req.headers.get('content-length') ?? 0);
  if (declared > limit) throw new ApiError(413, 'REQUEST.TOO_LARGE', `the body is larger than ${limit} bytes`);
  const text = await req.text();
  if (Buffer.byteLength(text) > limit) throw new ApiError(413, 'REQUEST.TOO_LARGE', `the body is larger than ${limit} bytes`);
  if (text.trim() === '') {
    if (optional) return undefined;
    throw new ApiError(400, 'REQUEST.EMPTY', 'the body must be a JSON document');
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, 'REQUEST.BAD_JSON', `the body is not valid JSON: ${(err as Error).message}`);
  }
}

export function positiveIntParam(value: string | null, name: string, fallback: number, max: number): number {
  if (value === null || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new ApiError(400, 'REQUEST.BAD_PARAMETER', `${name} must be an integer from 1 to ${max}`);
  return n;
}
