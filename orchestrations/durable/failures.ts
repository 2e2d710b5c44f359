/** An expected failure that ends a run, with the stable code its summary reports. */
export class RunFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Thrown out of a wait when the cancel event wins, so that the run's `finally` cleans up. */
export class Cancelled extends Error {
  constructor() {
    super('the run was cancelled');
  }
}

/** Whether a run ended because it was cancelled, here or in a child that reported it. */
export const isCancellation = (err: unknown): boolean =>
  err instanceof Cancelled || (err instanceof RunFailure && err.code === 'RUN.CANCELLED');

/** A thrown value as the `{ code, message }` a summary reports. */
export function errorOf(err: unknown): { code: string; message: string } {
  if (err instanceof Cancelled) return { code: 'RUN.CANCELLED', message: err.message };
  if (err instanceof RunFailure) return { code: err.code, message: err.message };
  return { code: 'RUN.FAILED', message: (err as Error).message };
}
