import { RestError } from '@azure/storage-blob';
import { parseRetryAfter } from '../../errors';

export interface ThrottlingRetryOptions {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** The first backoff when the service names no delay; it doubles per attempt up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  sleep(ms: number): Promise<void>;
}

export const defaultThrottlingRetry: ThrottlingRetryOptions = {
  maxAttempts: 6,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

const throttled = (err: unknown): err is RestError => err instanceof RestError && (err.statusCode === 429 || err.statusCode === 503);

/**
 * Runs one storage call, retrying it while the account throttles (429, 503) — after the `Retry-After` the service
 * sends, else with exponential backoff. The clients this wraps have the SDK's own retries off, so the two never stack.
 */
export async function withThrottlingRetry<T>(call: () => Promise<T>, options: ThrottlingRetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!throttled(err) || attempt >= options.maxAttempts) throw err;
      const backoff = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
      await options.sleep(Math.min(options.maxDelayMs, parseRetryAfter(err.response?.headers.get('retry-after')) ?? backoff));
    }
  }
}
