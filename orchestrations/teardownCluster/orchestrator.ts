import * as df from 'durable-functions';
import { OrchestrationContext, Task } from 'durable-functions';
import { DurableCalls } from '../durable/calls';
import { failure, Tagged } from '../durable/contract';
import { errorOf } from '../durable/failures';
import { pollUntil } from '../durable/pollUntil';
import { provisionActivities } from '../provisionCluster/contracts';
import { TeardownInput, teardownActivities as act, teardownClusterOrchestration } from './contracts';

/**
 * Deletes a run's own cluster and waits, to a deadline, until it is gone. It is not cancellable:
 * it is what a cancel leads to. If deletion never completes here, the reaper deletes the cluster
 * once its ledger entry expires.
 */
export function* teardownCluster(context: OrchestrationContext): Generator<Task, Tagged<{ tornDown: boolean }>, unknown> {
  const input = context.df.getInput() as TeardownInput;
  const calls = new DurableCalls(context);
  if (!input.cluster.owned) return { ok: true, tornDown: true };
  try {
    if (input.keep) {
      yield* calls.call(act.keepUntilExpiry, { cluster: input.cluster });
      return { ok: true, tornDown: false };
    }
    yield* calls.call(act.beginDeleteCluster, { cluster: input.cluster, batchIds: input.batchIds });
    const deleted = yield* pollUntil(
      context,
      { timeoutSeconds: input.timeoutMinutes * 60, intervalSeconds: input.pollSeconds },
      function* () {
        const cluster = yield* calls.call(provisionActivities.getClusterState, { cluster: input.cluster });
        return cluster.state === 'deleted' ? true : undefined;
      },
    );
    if (!deleted.done) return { ok: true, tornDown: false };
    yield* calls.call(act.markTornDown, { cluster: input.cluster });
    return { ok: true, tornDown: true };
  } catch (err) {
    const { code, message } = errorOf(err);
    return failure(code, message);
  }
}

df.app.orchestration(teardownClusterOrchestration.name, teardownCluster);
