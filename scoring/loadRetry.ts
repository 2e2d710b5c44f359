/** A model package that could not be read; `transient` when storage may answer on a later try (network, 5xx, throttling). */
export class PackageReadError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
    this.name = 'PackageReadError';
  }
}

export function transientStatus(status: number | undefined): boolean {
  return status === undefined || status === 408 || status === 429 || status >= 500;
}

export interface RetryOptions {
  /** Give up on transient faults after this long, then report the last one. */
  deadlineMs: number;
  firstDelayMs?: number;
  maxDelayMs?: number;
  onRetry?: (err: Error, delayMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/**
 * Tries again with exponential backoff while the failure is transient: a server started while storage restarts
 * (a crash of the whole local stack, a storage blip in Azure) loads its model once storage is back, instead of
 * reporting a failed deployment. Any other failure ends at once.
 */
export async function retryWhileTransient<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  const deadline = now() + options.deadlineMs;
  let delay = options.firstDelayMs ?? 500;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof PackageReadError) || !err.transient || now() + delay > deadline) throw err;
      options.onRetry?.(err, delay);
      await sleep(delay);
      // A short cap: storage that is back is found within about two seconds, and a try costs one request.
      delay = Math.min(delay * 2, options.maxDelayMs ?? 2_000);
    }
  }
}
