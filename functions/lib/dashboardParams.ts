import { HttpRequest } from '@azure/functions';
import { ApiError } from './http';

/** Longer than any token a store issues. */
const maxContinuationChars = 4096;

export function continuationParam(req: HttpRequest): string | undefined {
  const continuation = req.query.get('continuation') ?? undefined;
  if (continuation !== undefined && (continuation === '' || continuation.length > maxContinuationChars))
    throw new ApiError(400, 'REQUEST.BAD_PARAMETER', 'continuation must be a token from an earlier page');
  return continuation;
}

/** A query parameter that must be one of `allowed` when given. */
export function oneOfParam<T extends string>(req: HttpRequest, name: string, allowed: readonly T[]): T | undefined {
  const value = req.query.get(name);
  if (value === null || value === '') return undefined;
  if (!(allowed as readonly string[]).includes(value))
    throw new ApiError(400, 'REQUEST.BAD_PARAMETER', `${name} must be one of ${allowed.join(', ')}`);
  return value as T;
}

/** An offset into a list, carried as the continuation of a page the app cut itself. */
export function offsetParam(req: HttpRequest): number {
  const continuation = continuationParam(req);
  if (continuation === undefined) return 0;
  if (!/^\d{1,9}$/.test(continuation))
    throw new ApiError(400, 'REQUEST.BAD_PARAMETER', 'continuation must be a token from an earlier page');
  return Number(continuation);
}
