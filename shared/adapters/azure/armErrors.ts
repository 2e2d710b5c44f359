import { CanopyError, ErrorCode, parseRetryAfter, permanent, toCanopyError, transientError } from '../../errors';

/** What an `@azure/arm-*` client throws: core-rest-pipeline's `RestError`, its `code` read from ARM's error body. */
interface RestErrorShape {
  statusCode?: number;
  code?: unknown;
  message: string;
  response?: { headers?: { get?(name: string): string | undefined } };
}

// Quota refusals come under several codes, and HDInsight sends its own as a plain 400 `BadRequest`
// ("User SubscriptionId '…' does not have cores left to create resource '…'. Required: 40, Available: 20.").
const quotaCodes = new Set([
  'QuotaExceeded',
  'InsufficientCoresQuota',
  'InsufficientCores',
  'MaxOnDemandHdiCoresReached',
  'SkuNotAvailable',
  'ResourceQuotaExceeded',
  'SubscriptionQuotaExceeded',
  'ContainerGroupQuotaReached',
  'StandardCoresQuotaExceeded',
]);
const quotaMessage = /quota|cores left|not have enough cores|not available in location/i;

// A 409 that says another operation holds the resource passes once that operation ends.
const busyCodes = new Set(['AnotherOperationInProgress', 'OperationInProgress', 'ConcurrentOperation', 'Conflict', 'ResourceBusy']);
const busyMessage = /in progress|being (deleted|created|updated|provisioned)|retry|try again/i;

const lroFailure = /^The long-running operation has failed\. ([^.]+)\. ([\s\S]*)$/;

function isRestError(err: unknown): err is RestErrorShape {
  return typeof err === 'object' && err !== null && typeof (err as RestErrorShape).statusCode === 'number';
}

function isQuota(azureCode: string, message: string): boolean {
  if (quotaCodes.has(azureCode)) return true;
  return (azureCode === 'OperationNotAllowed' || azureCode === 'BadRequest' || azureCode === '') && quotaMessage.test(message);
}

function classify(status: number | undefined, azureCode: string, message: string): { code: ErrorCode; transient: boolean } {
  if (isQuota(azureCode, message)) return { code: 'ARM.QUOTA_EXCEEDED', transient: false };
  if (status === 401 || status === 403 || azureCode === 'AuthorizationFailed') return { code: 'ARM.FORBIDDEN', transient: false };
  if (status === 429) return { code: 'ARM.THROTTLED', transient: true };
  if (status === 408 || (status !== undefined && status >= 500)) return { code: 'ARM.UNAVAILABLE', transient: true };
  if (status === 404) return { code: 'ARM.NOT_FOUND', transient: false };
  if (status === 409) return { code: 'ARM.CONFLICT', transient: busyCodes.has(azureCode) && busyMessage.test(message) };
  if (status === undefined) return { code: 'ARM.OPERATION_FAILED', transient: false };
  return { code: 'ARM.BAD_REQUEST', transient: false };
}

/**
 * What an ARM client threw, as a `CanopyError`: Azure's own message is kept (it names the action, scope or quota), its
 * status and code go to `details`. Refusals the same request would meet again (bad request, permission, quota, a
 * conflict with the resource's state) are permanent; throttling, server faults and a busy resource are transient.
 * A failed long-running operation (core-lro's "The long-running operation has failed. <code>. <message>") is
 * classified by the error body's code alone.
 */
export function armError(err: unknown): CanopyError {
  if (err instanceof CanopyError) return err;
  if (isRestError(err)) {
    const azureCode = typeof err.code === 'string' ? err.code : '';
    const { code, transient } = classify(err.statusCode, azureCode, err.message);
    const retryAfter = parseRetryAfter(err.response?.headers?.get?.('retry-after'));
    const details = { status: err.statusCode, azureCode, ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}) };
    return transient ? transientError(code, err.message, details) : permanent(code, err.message, details);
  }
  const failed = lroFailure.exec((err as Error | undefined)?.message ?? '');
  if (failed) {
    const [, azureCode, message] = failed;
    const { code } = classify(undefined, azureCode, message);
    return permanent(code, message, { azureCode });
  }
  return toCanopyError(err);
}

/** Runs one ARM call, translating what it throws. */
export async function armCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw armError(err);
  }
}

/** Whether ARM answered 404 (the resource, or its group, is not there). */
export const isArmNotFound = (err: unknown): boolean => (err as { statusCode?: unknown } | undefined)?.statusCode === 404;
