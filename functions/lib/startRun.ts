import { randomUUID } from 'node:crypto';
import { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { Composition } from '../../shared/composition';
import { StartRunDeps } from '../../shared/usecases/startRun';

/** The start-run use case's dependencies: this process's prices and settings, and the invocation's durable client. */
export const startRunDeps = (comp: Composition, context: InvocationContext): StartRunDeps => ({
  orchestrations: df.getClient(context),
  claims: comp.runClaims,
  newToken: randomUUID,
  now: () => comp.clock.now(),
  prices: comp.prices,
  pollSeconds: comp.config.pollSeconds,
});
