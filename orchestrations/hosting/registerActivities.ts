import * as df from 'durable-functions';
import { InvocationContext } from '@azure/functions';
import { app, Composition } from '../../shared/composition';
import { toCanopyError } from '../../shared/errors';
import { ActivityContracts, failure, HandlersOf } from '../durable/contract';

/**
 * Binds each activity contract to its handler. The handlers are built from the process's adapters
 * on the first call, not when the app loads (so loading needs no Cosmos DB); a failed build is
 * retried on the next call. A permanent error comes back as a tagged failure with its code, so the
 * orchestration fails at once; only transient faults are thrown, for the retry policy.
 */
export function registerActivities<C extends ActivityContracts>(contracts: C, create: (composition: Composition) => HandlersOf<C>): void {
  let built: Promise<HandlersOf<C>> | undefined;
  const handlers = (): Promise<HandlersOf<C>> => {
    built ??= app().then(create, (err: unknown) => {
      built = undefined;
      throw err;
    });
    return built;
  };
  for (const key of Object.keys(contracts) as (keyof C & string)[]) {
    df.app.activity(contracts[key].name, {
      handler: (input: unknown, context: InvocationContext) =>
        settleActivity(
          async () => ((await handlers())[key] as (input: unknown) => Promise<unknown>)(input),
          (message) => context.warn(`${contracts[key].name} refused: ${message}`),
        ),
    });
  }
}

/** Runs one activity: a permanent error becomes a tagged failure with its code; a transient one is thrown to be retried. */
export async function settleActivity(run: () => Promise<unknown>, warn: (message: string) => void): Promise<unknown> {
  try {
    return await run();
  } catch (err) {
    const error = toCanopyError(err);
    if (error.transient) throw error;
    warn(`${error.code}: ${error.message}`);
    return failure(error.code, error.message);
  }
}
