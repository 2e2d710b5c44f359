import { CanopyError, ErrorCode, parseRetryAfter, permanent, toCanopyError, transientError } from '../../errors';

/** What `@azure/storage-blob` throws: core-rest-pipeline's `RestError`, `code` being the storage error code. */
interface StorageErrorShape {
  statusCode?: number;
  code?: unknown;
  message: string;
  response?: { headers?: { get?(name: string): string | undefined } };
}

function classify(status: number): { code: ErrorCode; transient: boolean } {
  if (status === 429 || status === 503) return { code: 'STORAGE.THROTTLED', transient: true };
  if (status === 408 || status >= 500) return { code: 'STORAGE.UNAVAILABLE', transient: true };
  if (status === 401 || status === 403) return { code: 'STORAGE.FORBIDDEN', transient: false };
  if (status === 404) return { code: 'STORAGE.NOT_FOUND', transient: false };
  if (status === 409) return { code: 'STORAGE.CONFLICT', transient: false };
  if (status === 412) return { code: 'STORAGE.PRECONDITION_FAILED', transient: false };
  return { code: 'STORAGE.BAD_REQUEST', transient: false };
}

/**
 * What a blob storage call threw, as a `CanopyError`. A 503 from storage is its "server busy" throttle, so it is
 * `STORAGE.THROTTLED` like a 429; the storage error code (e.g. `AuthorizationPermissionMismatch`) goes to `details`.
 */
export function storageError(err: unknown): CanopyError {
  if (err instanceof CanopyError) return err;
  const e = err as StorageErrorShape | undefined;
  if (typeof e?.statusCode !== 'number') return toCanopyError(err);
  const { code, transient } = classify(e.statusCode);
  const retryAfter = parseRetryAfter(e.response?.headers?.get?.('retry-after'));
  const details = {
    status: e.statusCode,
    storageCode: typeof e.code === 'string' ? e.code : undefined,
    ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
  };
  const message = e.message.split('\n')[0];
  return transient ? transientError(code, message, details) : permanent(code, message, details);
}

/** Runs one storage call, translating what it throws. */
export async function storageCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw storageError(err);
  }
}
