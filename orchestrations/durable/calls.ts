import { OrchestrationContext, Task } from 'durable-functions';
import { ActivityContract, SubOrchestrationContract, Tagged } from './contract';
import { CancelWatch, forwardCancel } from './cancellation';
import { Cancelled, RunFailure } from './failures';
import { transientRetry } from './retryPolicy';

/**
 * The typed facade through which orchestrators call activities and children. The only casts of
 * durable results are here, where the contract gives their type.
 */
export class DurableCalls {
  constructor(
    private readonly context: OrchestrationContext,
    private readonly cancel?: CancelWatch,
  ) {}

  /** Schedules an activity (retried on transient faults) without waiting: for fan-out. */
  task<In, Out>(contract: ActivityContract<In, Out>, input: In): Task {
    return this.context.df.callActivityWithRetry(contract.name, transientRetry, input);
  }

  /** Calls an activity and returns its tagged result, for callers that branch on a failure. */
  *attempt<In, Out>(contract: ActivityContract<In, Out>, input: In): Generator<Task, Tagged<Out>, unknown> {
    return (yield* this.wait(this.task(contract, input))) as Tagged<Out>;
  }

  /** Calls an activity; a tagged failure ends the caller with a `RunFailure` of its code. */
  *call<In, Out>(contract: ActivityContract<In, Out>, input: In): Generator<Task, Out, unknown> {
    return unwrap(yield* this.attempt(contract, input));
  }

  /** Calls an activity for each input at once. */
  *all<In, Out>(contract: ActivityContract<In, Out>, inputs: In[]): Generator<Task, Tagged<Out>[], unknown> {
    if (inputs.length === 0) return [];
    return (yield* this.wait(this.context.df.Task.all(inputs.map((input) => this.task(contract, input))))) as Tagged<Out>[];
  }

  private *wait(task: Task): Generator<Task, unknown, unknown> {
    return this.cancel ? yield* this.cancel.observe(task) : yield task;
  }

  /**
   * Runs a child orchestration under `instanceId` and returns its tagged result. A cancel of this
   * instance is forwarded to the child, which winds down (its own `finally`) before this throws.
   */
  *child<In, Out>(contract: SubOrchestrationContract<In, Out>, input: In, instanceId: string): Generator<Task, Tagged<Out>, unknown> {
    this.cancel?.throwIfRequested();
    const task = this.context.df.callSubOrchestrator(contract.name, input, instanceId);
    if (this.cancel) {
      if (!(yield* this.cancel.race(task))) {
        yield* this.call(forwardCancel, { instanceId });
        yield* settle(task);
        throw new Cancelled();
      }
    } else {
      yield* settle(task);
    }
    if (task.isFaulted) throw new RunFailure('RUN.FAILED', `${contract.name} failed: ${(task.result as Error).message}`);
    return task.result as Tagged<Out>;
  }
}

export function unwrap<T>(result: Tagged<T>): T {
  if (!result.ok) throw new RunFailure(result.code, result.message);
  return result;
}

/** Waits for a task that may fail, leaving its outcome on the task. */
function* settle(task: Task): Generator<Task, void, unknown> {
  if (task.isCompleted) return;
  try {
    yield task;
  } catch {
    // The failure stays on `task.isFaulted` for the caller to report.
  }
}
