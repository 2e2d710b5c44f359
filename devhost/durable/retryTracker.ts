import { completedTaskId, EventType, HistoryEvent } from './historyEvents';
import { RecordedAction } from './instanceModel';
import { RetryOptionsWire } from './sdkActions';

/** A task scheduled with RetryOptions: which attempt runs, under which sequence number. */
export interface RetryState {
  originId: number;
  options: RetryOptionsWire;
  kind: 'activity' | 'child';
  name: string;
  input?: string;
  /** The fixed child instance id the orchestrator asked for, if any. */
  childId?: string;
  failedAttempts: number;
  firstAttemptAt: number;
  /** Sequence number of the running attempt or of the timer before the next one. */
  currentId: number;
  waitingOnTimer: boolean;
  lastFailure?: HistoryEvent;
  /** The retry timeout passed: remaining attempts fail without running. */
  exhausted?: boolean;
}

/**
 * The SDK's RetryableTask expects, after each failed attempt, a timer and then a new attempt,
 * each under the next sequence number; this tracks them, keyed by the sequence number whose
 * completion event advances the retry.
 */
export class RetryTracker {
  readonly #byCurrentId = new Map<number, RetryState>();

  get(id: number): RetryState | undefined {
    return this.#byCurrentId.get(id);
  }

  start(state: RetryState): void {
    this.#byCurrentId.set(state.currentId, state);
  }

  moveTo(state: RetryState, id: number, waitingOnTimer: boolean): void {
    this.#byCurrentId.delete(state.currentId);
    state.currentId = id;
    state.waitingOnTimer = waitingOnTimer;
    this.#byCurrentId.set(id, state);
  }

  finish(state: RetryState): void {
    this.#byCurrentId.delete(state.currentId);
  }

  clear(): void {
    this.#byCurrentId.clear();
  }

  /** Rebuilds the states from a loaded history: its retry events carry `RetryOf`. */
  static fromHistory(history: HistoryEvent[], actions: RecordedAction[]): RetryTracker {
    const tracker = new RetryTracker();
    const byOrigin = new Map<number, RetryState>();
    const retryable = new Map(
      actions.filter((a) => a.retry && a.id !== undefined).map((a) => [a.id as number, a.retry as RetryOptionsWire]),
    );
    for (const event of history) {
      const origin = event.RetryOf as number | undefined;
      if (origin === undefined && retryable.has(event.EventId)) {
        const isChild = event.EventType === EventType.SubOrchestrationInstanceCreated;
        const state: RetryState = {
          originId: event.EventId,
          options: retryable.get(event.EventId) as RetryOptionsWire,
          kind: isChild ? 'child' : 'activity',
          name: event.Name as string,
          input: event.Input as string | undefined,
          childId: isChild ? (event.InstanceId as string) : undefined,
          failedAttempts: 0,
          firstAttemptAt: Date.parse(event.Timestamp),
          currentId: event.EventId,
          waitingOnTimer: false,
        };
        byOrigin.set(event.EventId, state);
        tracker.start(state);
        continue;
      }
      if (origin !== undefined) {
        const state = byOrigin.get(origin);
        if (state) tracker.moveTo(state, event.EventId, event.EventType === EventType.TimerCreated);
        continue;
      }
      const done = completedTaskId(event);
      const state = done === undefined ? undefined : tracker.get(done);
      if (!state) continue;
      if (event.EventType === EventType.TaskFailed || event.EventType === EventType.SubOrchestrationInstanceFailed) {
        state.failedAttempts++;
        state.lastFailure = event;
      } else if (event.EventType !== EventType.TimerFired) {
        tracker.finish(state);
      } else if (state.failedAttempts >= state.options.maxNumberOfAttempts) {
        tracker.finish(state);
      }
    }
    return tracker;
  }
}
