import { deployActivities, DeployInput } from '../../../orchestrations/deployModel/contracts';
import { deployModel } from '../../../orchestrations/deployModel/orchestrator';
import { EventTrigger, replay, ReplayResult, Responder } from '../../support/orchestrationReplay';
import { transientError } from '../../../shared/errors';
import { at, callsTo, endpoint, hosted, namesOf, refuse, registeredModel, run, startAt, succeed } from './pipelineFixture';

const input: DeployInput = { run, model: registeredModel, target: 'aci', healthTimeoutMinutes: 1, pollSeconds: 30 };
const name = 'canopy-fashion-demo-v3';
const deployment = { run, model: registeredModel, name };

/** The deployment reports `states` in turn, then the last one forever. */
const deploymentStates =
  (...states: { state: string; endpoint?: string; error?: string }[]): Responder =>
  (_input, call) => ({ ok: true, ...states[Math.min(call.nth, states.length) - 1] });

const running = { state: 'running', endpoint };

function deploy(activities: Record<string, Responder>, events?: EventTrigger[]): Promise<ReplayResult<unknown>> {
  return replay(deployModel, {
    input,
    instanceId: 'run-1:deployModel',
    startAt,
    activities: {
      [deployActivities.beginDeploy.name]: () => ({ ok: true, name }),
      [deployActivities.getDeploymentState.name]: deploymentStates(running),
      [deployActivities.smokeTest.name]: () => ({ ok: true, label: 'Sneaker' }),
      [deployActivities.switchTraffic.name]: () => ({ ok: true, previous: 2, canary: false }),
      [deployActivities.pruneSuperseded.name]: () => ({ ok: true, deleted: ['canopy-fashion-demo-v1'] }),
      [deployActivities.deleteDeployment.name]: succeed,
      ...activities,
    },
    events,
  });
}

/** The deployment failed as `code` and was deleted again, so the previous version keeps the traffic. */
function expectRolledBack(result: ReplayResult<unknown>, code: string): void {
  expect(result.output).toMatchObject({ ok: false, code });
  expect(callsTo(result.calls, deployActivities.deleteDeployment).map((c) => c.input)).toEqual([deployment]);
  expect(callsTo(result.calls, deployActivities.switchTraffic)).toEqual([]);
}

describe('deployModel', () => {
  it('waits until healthy, smoke-tests, switches traffic, then prunes superseded versions', async () => {
    const result = await deploy({
      [deployActivities.getDeploymentState.name]: deploymentStates({ state: 'creating' }, { state: 'running' }, running),
    });

    expect(result.output).toEqual({ ok: true, name, endpoint, scoredLabel: 'Sneaker' });
    expect(namesOf(result.calls)).toEqual([
      deployActivities.beginDeploy.name,
      deployActivities.getDeploymentState.name,
      deployActivities.getDeploymentState.name,
      deployActivities.getDeploymentState.name,
      deployActivities.smokeTest.name,
      deployActivities.switchTraffic.name,
      deployActivities.pruneSuperseded.name,
    ]);
    // A running deployment without an endpoint yet is not healthy; the health polls are at most 5 s apart.
    expect(callsTo(result.calls, deployActivities.getDeploymentState).map((c) => c.at)).toEqual([at(0), at(5), at(10)]);
    expect(result.calls[1].input).toEqual({ target: 'aci', name });
    expect(callsTo(result.calls, deployActivities.smokeTest)[0].input).toEqual({ run, endpoint });
    expect(callsTo(result.calls, deployActivities.switchTraffic)[0].input).toEqual({ ...deployment, endpoint });
    expect(callsTo(result.calls, deployActivities.pruneSuperseded)[0].input).toEqual({ model: registeredModel });
  });

  it('polls at the run interval when it is shorter than 5 s', async () => {
    const result = await replay(deployModel, {
      input: { ...input, pollSeconds: 2 },
      startAt,
      activities: {
        [deployActivities.beginDeploy.name]: () => ({ ok: true, name }),
        [deployActivities.getDeploymentState.name]: deploymentStates({ state: 'creating' }, running),
        [deployActivities.smokeTest.name]: () => ({ ok: true, label: 'Sneaker' }),
        [deployActivities.switchTraffic.name]: () => ({ ok: true, canary: true }),
      },
    });

    expect(callsTo(result.calls, deployActivities.getDeploymentState).map((c) => c.at)).toEqual([at(0), at(2)]);
  });

  it('prunes nothing after a canary switch', async () => {
    const result = await deploy({ [deployActivities.switchTraffic.name]: () => ({ ok: true, canary: true }) });

    expect(result.output).toMatchObject({ ok: true, name });
    expect(callsTo(result.calls, deployActivities.pruneSuperseded)).toEqual([]);
  });

  it('succeeds even when pruning is refused', async () => {
    const result = await deploy({ [deployActivities.pruneSuperseded.name]: refuse('ARM.FORBIDDEN') });

    expect(result.output).toMatchObject({ ok: true, name, endpoint });
    expect(callsTo(result.calls, deployActivities.deleteDeployment)).toEqual([]);
  });

  it('keeps a deployment that took the traffic even when pruning keeps failing', async () => {
    const result = await deploy({
      [deployActivities.pruneSuperseded.name]: hosted(() => {
        throw transientError('ARM.UNAVAILABLE', 'down');
      }),
    });

    expect(callsTo(result.calls, deployActivities.pruneSuperseded)).toHaveLength(5);
    expect(callsTo(result.calls, deployActivities.deleteDeployment)).toEqual([]);
    expect(result.output).toMatchObject({ ok: true, name, endpoint });
  });

  it.each([
    [{ state: 'failed', error: 'image pull failed' }, 'image pull failed'],
    [{ state: 'failed' }, 'the deployment failed'],
  ])('deletes a deployment that ends %o, as DEPLOY.FAILED', async (state, message) => {
    const result = await deploy({ [deployActivities.getDeploymentState.name]: deploymentStates({ state: 'creating' }, state) });

    expectRolledBack(result, 'DEPLOY.FAILED');
    expect(result.output).toMatchObject({ message });
  });

  it('deletes a deployment not healthy within the timeout, as DEPLOY.UNHEALTHY', async () => {
    const result = await deploy({ [deployActivities.getDeploymentState.name]: deploymentStates({ state: 'creating' }) });

    expectRolledBack(result, 'DEPLOY.UNHEALTHY');
    expect(result.output).toMatchObject({ message: 'the deployment was not healthy within 1 minutes' });
    expect(callsTo(result.calls, deployActivities.getDeploymentState).at(-1)?.at).toBe(at(65));
    expect(callsTo(result.calls, deployActivities.smokeTest)).toEqual([]);
  });

  it('deletes a deployment that fails its smoke test', async () => {
    const result = await deploy({ [deployActivities.smokeTest.name]: refuse('DEPLOY.SMOKE_FAILED', 'scored nothing') });

    expectRolledBack(result, 'DEPLOY.SMOKE_FAILED');
    expect(result.output).toMatchObject({ message: 'scored nothing' });
  });

  it('deletes a deployment whose traffic switch is refused', async () => {
    const result = await deploy({ [deployActivities.switchTraffic.name]: refuse('AKS.CONFLICT') });

    expect(result.output).toMatchObject({ ok: false, code: 'AKS.CONFLICT' });
    expect(callsTo(result.calls, deployActivities.deleteDeployment)).toHaveLength(1);
  });

  it('deletes what a refused begin may have left', async () => {
    const result = await deploy({ [deployActivities.beginDeploy.name]: refuse('ACI.QUOTA_EXCEEDED') });

    expectRolledBack(result, 'ACI.QUOTA_EXCEEDED');
    expect(callsTo(result.calls, deployActivities.getDeploymentState)).toEqual([]);
  });

  it('stops the health wait on a cancel and deletes the deployment, as RUN.CANCELLED', async () => {
    const result = await deploy({ [deployActivities.getDeploymentState.name]: deploymentStates({ state: 'creating' }) }, [
      { name: 'cancel', afterActivity: deployActivities.getDeploymentState.name, nth: 2 },
    ]);

    expectRolledBack(result, 'RUN.CANCELLED');
    expect(callsTo(result.calls, deployActivities.getDeploymentState)).toHaveLength(2);
    expect(result.timers.at(-1)).toMatchObject({ fired: false, cancelled: true });
  });
});
