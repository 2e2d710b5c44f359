import { OrchestrationContext, Task } from 'durable-functions';
import { plusSeconds } from '../../shared/domain/time';
import { CancelWatch } from './cancellation';

export interface PollOptions {
  /** How long to keep polling before giving up. */
  timeoutSeconds: number;
  intervalSeconds: number;
  /** Interrupts every wait; absent for waits that must run to the end (teardown). */
  cancel?: CancelWatch;
  /** Wait one interval before the first poll (for operations just begun). */
  waitFirst?: boolean;
}

export type PollOutcome<T> = { done: true; value: T } | { done: false };

/**
 * The one way an orchestration waits on a long-running operation: poll, and until `poll` returns
 * a value, sleep on a durable timer (cancellable) until the deadline passes.
 */
export function* pollUntil<T>(
  context: OrchestrationContext,
  options: PollOptions,
  poll: () => Generator<Task, T | undefined, unknown>,
): Generator<Task, PollOutcome<T>, unknown> {
  const deadline = plusSeconds(context.df.currentUtcDateTime, options.timeoutSeconds).getTime();
  if (options.waitFirst) yield* sleep(context, options);
  for (;;) {
    const value = yield* poll();
    if (value !== undefined) return { done: true, value };
    if (context.df.currentUtcDateTime.getTime() > deadline) return { done: false };
    yield* sleep(context, options);
  }
}

function* sleep(context: OrchestrationContext, options: PollOptions): Generator<Task, void, unknown> {
  if (options.cancel) yield* options.cancel.sleep(options.intervalSeconds);
  else yield context.df.createTimer(plusSeconds(context.df.currentUtcDateTime, options.intervalSeconds));
}
