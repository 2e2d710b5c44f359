import { CanopyError, ErrorCode, permanent, toCanopyError, transientError } from '../../errors';

/** What `@azure/cosmos` throws: an `ErrorResponse` whose numeric `code` is the HTTP status. */
interface CosmosErrorShape {
  code?: unknown;
  substatus?: unknown;
  message: string;
  retryAfterInMs?: unknown;
}

function classify(status: number): { code: ErrorCode; transient: boolean } {
  switch (status) {
    case 400:
      return { code: 'COSMOS.BAD_REQUEST', transient: false };
    case 401:
    case 403:
      return { code: 'COSMOS.FORBIDDEN', transient: false };
    case 404:
      return { code: 'COSMOS.NOT_FOUND', transient: false };
    case 409:
      return { code: 'COSMOS.CONFLICT', transient: false };
    // An ETag that no longer matches: the caller re-reads and decides, retrying blindly would fail the same way.
    case 412:
      return { code: 'COSMOS.PRECONDITION_FAILED', transient: false };
    case 413:
      return { code: 'COSMOS.TOO_LARGE', transient: false };
    case 429:
      return { code: 'COSMOS.THROTTLED', transient: true };
    default:
      return status === 408 || status >= 500
        ? { code: 'COSMOS.UNAVAILABLE', transient: true }
        : { code: 'COSMOS.BAD_REQUEST', transient: false };
  }
}

/**
 * What a Cosmos call threw, as a `CanopyError`. The SDK has already retried throttling (429) and timeouts within its
 * own budget, so these still being thrown means the account stays busy: transient, with the delay Cosmos asked for.
 */
export function cosmosError(err: unknown): CanopyError {
  if (err instanceof CanopyError) return err;
  const e = err as CosmosErrorShape | undefined;
  if (typeof e?.code !== 'number') return toCanopyError(err);
  const { code, transient } = classify(e.code);
  const details = {
    status: e.code,
    ...(typeof e.substatus === 'number' ? { substatus: e.substatus } : {}),
    ...(typeof e.retryAfterInMs === 'number' ? { retryAfterMs: e.retryAfterInMs } : {}),
  };
  return transient ? transientError(code, e.message, details) : permanent(code, e.message, details);
}

/** Runs one Cosmos call, translating what it throws. */
export async function cosmosCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw cosmosError(err);
  }
}
