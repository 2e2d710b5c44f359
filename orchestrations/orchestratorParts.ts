import * as df from 'durable-functions';

/** Transient faults (an emulator hiccup, a throttled call) are retried; expected failures come back tagged. */
export const transient = new df.RetryOptions(2000, 4);
transient.backoffCoefficient = 2;

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
export class Cancelled extends Error {}

/** Seconds from `a` to `b`, to a tenth. */
export const secondsBetween = (a: Date, b: Date): number => Math.round((b.getTime() - a.getTime()) / 100) / 10;
