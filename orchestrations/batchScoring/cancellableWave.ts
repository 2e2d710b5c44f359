import { OrchestrationContext, Task } from 'durable-functions';
import { DurableCalls, unwrap } from '../durable/calls';
import { CancelWatch } from '../durable/cancellation';
import { ActivityContract, Tagged } from '../durable/contract';
import { Cancelled, RunFailure } from '../durable/failures';

/**
 * Activities run at once as one wave that the cancel interrupts: `DurableCalls.all` without the
 * race. The wave is a `Task.all` of tasks yielded once, raced once: never a `Task.any` over tasks
 * yielded before, which the SDK schedules again (azure-functions-durable-js#574). The only cast
 * of the wave's result is here, where the contract gives its type.
 */
export class CancellableWave {
  constructor(
    private readonly context: OrchestrationContext,
    private readonly calls: DurableCalls,
    private readonly cancel: CancelWatch,
  ) {}

  /** Each input's tagged result; an activity that faulted past its retries ends the run with `faultCode`. */
  *all<In, Out>(contract: ActivityContract<In, Out>, inputs: In[], faultCode: string): Generator<Task, Tagged<Out>[], unknown> {
    this.cancel.throwIfRequested();
    if (inputs.length === 0) return [];
    const wave = this.context.df.Task.all(inputs.map((input) => this.calls.task(contract, input)));
    if (!(yield* this.cancel.race(wave))) throw new Cancelled();
    if (wave.isFaulted) throw new RunFailure(faultCode, (wave.result as Error).message);
    return wave.result as Tagged<Out>[];
  }

  /** One activity that the cancel interrupts; a tagged failure ends the run with its code. */
  *call<In, Out>(contract: ActivityContract<In, Out>, input: In, faultCode: string): Generator<Task, Out, unknown> {
    const [result] = yield* this.all(contract, [input], faultCode);
    return unwrap(result);
  }
}
