import { OrchestrationContext, Task, TimerTask } from 'durable-functions';
import { plusSeconds } from '../../shared/domain/time';
import { activity } from './contract';
import { Cancelled } from './failures';

/** The external event that cancels a run; a parent forwards it to the child it waits on. */
export const cancelEventName = 'cancel';

/** Raises `cancel` on a child instance; a child that has already ended is left alone. */
export const forwardCancel = activity<{ instanceId: string }, object>('durable_forwardCancel');

/**
 * The run's cancel event, raced against every wait. A cancel that arrived while an activity ran
 * has completed the event task already, and racing a completed task again is not reliable, so it
 * is checked before each race.
 */
export class CancelWatch {
  readonly event: Task;

  constructor(private readonly context: OrchestrationContext) {
    this.event = context.df.waitForExternalEvent(cancelEventName);
  }

  get requested(): boolean {
    return this.event.isCompleted;
  }

  throwIfRequested(): void {
    if (this.requested) throw new Cancelled();
  }

  /** Waits for `task` unless the cancel comes first; returns whether `task` won. */
  *race(task: Task): Generator<Task, boolean, unknown> {
    if (this.requested) return false;
    const winner = yield this.context.df.Task.any([task, this.event]);
    return winner === task;
  }

  /**
   * Waits for `task` (an activity: it is never interrupted) while watching for the cancel. The SDK
   * delivers an external event only to a task that has been yielded, so a cancel that came before
   * the first wait would go unseen if activities were not watched too.
   */
  *observe(task: Task): Generator<Task, unknown, unknown> {
    if (!this.requested) yield this.context.df.Task.any([task, this.event]);
    return yield task;
  }

  /** A durable timer that a cancel interrupts (by throwing `Cancelled`). */
  *sleep(seconds: number): Generator<Task, void, unknown> {
    this.throwIfRequested();
    const timer: TimerTask = this.context.df.createTimer(plusSeconds(this.context.df.currentUtcDateTime, seconds));
    if (!(yield* this.race(timer))) {
      timer.cancel();
      throw new Cancelled();
    }
  }
}
