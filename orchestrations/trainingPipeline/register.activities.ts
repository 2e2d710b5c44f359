import * as df from 'durable-functions';
import { app } from '../../shared/composition';
import { activities } from './contracts';
import { createActivities, PipelineActivities } from './pipeline.activities';

let built: Promise<PipelineActivities> | undefined;

/** Adapters are built on the first activity call, not when the app loads (so loading needs no Cosmos). */
function pipelineActivities(): Promise<PipelineActivities> {
  built ??= app().then(createActivities, (err: unknown) => {
    built = undefined;
    throw err;
  });
  return built;
}

for (const name of Object.values(activities)) {
  df.app.activity(name, {
    handler: async (input: unknown) => {
      const handler = (await pipelineActivities())[name] as (input: unknown) => Promise<unknown>;
      return handler(input);
    },
  });
}
