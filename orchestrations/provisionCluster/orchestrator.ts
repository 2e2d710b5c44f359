import * as df from 'durable-functions';
import { OrchestrationContext, Task } from 'durable-functions';
import { plusSeconds } from '../../shared/domain/time';
import { CancelWatch } from '../durable/cancellation';
import { DurableCalls } from '../durable/calls';
import { failure, Tagged } from '../durable/contract';
import { errorOf, RunFailure } from '../durable/failures';
import { pollUntil } from '../durable/pollUntil';
import { ProvisionInput, provisionActivities as act, provisionClusterOrchestration } from './contracts';

/**
 * Creates a cluster and waits until it runs, to a deadline; an attached cluster is only checked.
 * The ledger records the cluster before the create is begun, so a crash right after leaks nothing.
 */
export function* provisionCluster(context: OrchestrationContext): Generator<Task, Tagged<object>, unknown> {
  const input = context.df.getInput() as ProvisionInput;
  const cancel = new CancelWatch(context);
  const calls = new DurableCalls(context, cancel);
  try {
    const now = context.df.currentUtcDateTime;
    const expiresAt = plusSeconds(now, input.maxLifetimeMinutes * 60).toISOString();
    yield* calls.call(act.beginCreateCluster, { ...input, expiresAt, now: now.toISOString() });
    const running = yield* pollUntil(
      context,
      { timeoutSeconds: input.timeoutMinutes * 60, intervalSeconds: input.pollSeconds, cancel },
      function* () {
        const cluster = yield* calls.call(act.getClusterState, { cluster: input.cluster });
        if (cluster.state === 'running') return true;
        if (cluster.state !== 'creating') throw new RunFailure('COMPUTE.CREATE_FAILED', cluster.error ?? `the cluster is ${cluster.state}`);
        return undefined;
      },
    );
    if (!running.done) throw new RunFailure('COMPUTE.CREATE_TIMEOUT', `the cluster was not running within ${input.timeoutMinutes} minutes`);
    return { ok: true };
  } catch (err) {
    const { code, message } = errorOf(err);
    return failure(code, message);
  }
}

df.app.orchestration(provisionClusterOrchestration.name, provisionCluster);
