import * as df from 'durable-functions';
import { OrchestrationContext, Task } from 'durable-functions';
import { deploymentName } from '../../shared/domain/naming';
import { CancelWatch } from '../durable/cancellation';
import { DurableCalls } from '../durable/calls';
import { failure, Tagged } from '../durable/contract';
import { errorOf, RunFailure } from '../durable/failures';
import { pollUntil } from '../durable/pollUntil';
import { DeployInput, deployActivities as act, Deployed, deployModelOrchestration } from './contracts';

/**
 * Deploys a registered version: create the scoring service, wait until it is healthy, smoke-test
 * it, then switch traffic. A version that never served is deleted again, so the previous
 * deployment keeps the traffic.
 */
export function* deployModel(context: OrchestrationContext): Generator<Task, Tagged<Deployed>, unknown> {
  const input = context.df.getInput() as DeployInput;
  const cancel = new CancelWatch(context);
  const calls = new DurableCalls(context, cancel);
  const { run, model } = input;
  const name = deploymentName(model.model, model.version);
  let deployed: Deployed & { canary: boolean };
  try {
    yield* calls.call(act.beginDeploy, { run, model });
    const deployment = { target: input.target, name };
    const healthy = yield* pollUntil(
      context,
      { timeoutSeconds: input.healthTimeoutMinutes * 60, intervalSeconds: Math.min(input.pollSeconds, 5), cancel },
      function* () {
        const state = yield* calls.call(act.getDeploymentState, deployment);
        if (state.state === 'running' && state.endpoint) return state.endpoint;
        if (state.state === 'failed') throw new RunFailure('DEPLOY.FAILED', state.error ?? 'the deployment failed');
        return undefined;
      },
    );
    if (!healthy.done)
      throw new RunFailure('DEPLOY.UNHEALTHY', `the deployment was not healthy within ${input.healthTimeoutMinutes} minutes`);
    const endpoint = healthy.value;
    const smoke = yield* calls.call(act.smokeTest, { run, endpoint });
    cancel.throwIfRequested();
    const switched = yield* calls.call(act.switchTraffic, { run, model, name, endpoint });
    deployed = { name, endpoint, scoredLabel: smoke.label, canary: switched.canary };
  } catch (err) {
    yield* calls.call(act.deleteDeployment, { run, model, name });
    const { code, message } = errorOf(err);
    return failure(code, message);
  }
  // The new version serves from here on, so nothing below may delete it. After a promotion the versions older than
  // the rollback one only cost money (a canary changes no production); one that cannot be pruned now is left to the
  // next promotion or the reaper.
  if (!deployed.canary) yield* pruneQuietly();
  return { ok: true, name: deployed.name, endpoint: deployed.endpoint, scoredLabel: deployed.scoredLabel };

  function* pruneQuietly(): Generator<Task, void, unknown> {
    try {
      yield* calls.attempt(act.pruneSuperseded, { model });
    } catch {
      // Retries ran out on a transient fault: the run still deployed.
    }
  }
}

df.app.orchestration(deployModelOrchestration.name, deployModel);
