import { RetryOptionsWire } from './sdkActions';

/**
 * When the next attempt of a task with RetryOptions may start, or undefined when it may not
 * (attempts used up, or the retry timeout would pass before it): the semantics of DTFx's
 * RetryInterceptor, which the Durable extension applies to `callActivityWithRetry`.
 */
export function nextAttemptDelayMs(
  options: RetryOptionsWire,
  failedAttempts: number,
  firstAttemptAt: number,
  now: number,
): number | undefined {
  if (failedAttempts >= options.maxNumberOfAttempts) return undefined;
  const coefficient = options.backoffCoefficient ?? 1;
  let delay = options.firstRetryIntervalInMilliseconds * Math.pow(coefficient, failedAttempts - 1);
  const cap = options.maxRetryIntervalInMilliseconds;
  if (cap !== undefined && cap > 0 && delay > cap) delay = cap;
  const timeout = options.retryTimeoutInMilliseconds;
  if (timeout !== undefined && timeout > 0 && timeout < Number.MAX_SAFE_INTEGER && now + delay - firstAttemptAt > timeout) return undefined;
  return delay;
}
