import * as df from 'durable-functions';
import { app, Composition } from '../../shared/composition';

/**
 * Registers each named activity of an orchestration. The handlers are built from the process's
 * adapters on the first activity call, not when the app loads (so loading needs no Cosmos DB); a
 * failed build is retried on the next call.
 */
export function registerActivities<H extends Record<string, unknown>>(
  names: Record<string, keyof H & string>,
  create: (composition: Composition) => H,
): void {
  let built: Promise<H> | undefined;
  const handlers = (): Promise<H> => {
    built ??= app().then(create, (err: unknown) => {
      built = undefined;
      throw err;
    });
    return built;
  };
  for (const name of Object.values(names)) {
    df.app.activity(name, {
      handler: async (input: unknown) => {
        const handler = (await handlers())[name] as (input: unknown) => Promise<unknown>;
        return handler(input);
      },
    });
  }
}
