import { Invoker } from '../invoker';
import { DurableTarget } from './durableFunctionIndex';
import { Semaphore } from './semaphore';
import { fromTypedData, jsonOrNull } from './typedData';

export type ActivityOutcome = { ok: true; result: string } | { ok: false; error: Error };

/** Runs activity functions in-process, at most `maxConcurrentActivityFunctions` at a time. */
export class ActivityRunner {
  readonly #invoker: Invoker;
  readonly #slots: Semaphore;

  constructor(invoker: Invoker, maxConcurrent: number) {
    this.#invoker = invoker;
    this.#slots = new Semaphore(maxConcurrent);
  }

  run(target: DurableTarget, input: string | undefined): Promise<ActivityOutcome> {
    return this.#slots.run(async () => {
      const outcome = await this.#invoker.invoke(target.fn, {
        inputData: [{ name: target.triggerName, data: { json: input ?? 'null' } }],
        triggerMetadata: {},
      });
      if (!outcome.ok) return { ok: false, error: outcome.error };
      return { ok: true, result: jsonOrNull(fromTypedData(outcome.response.returnValue)) };
    });
  }
}
