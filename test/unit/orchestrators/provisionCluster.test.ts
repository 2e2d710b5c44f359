import { provisionActivities, ProvisionInput, clusterHandle } from '../../../orchestrations/provisionCluster/contracts';
import { provisionCluster } from '../../../orchestrations/provisionCluster/orchestrator';
import { permanent, transientError } from '../../../shared/errors';
import { EventTrigger, replay, ReplayResult, Responder } from '../../support/orchestrationReplay';
import { at, callsTo, hosted, namesOf, startAt, succeed } from './pipelineFixture';

const cluster = clusterHandle('hdinsight', 'canopy-demo-1234abcd', true);
const input: ProvisionInput = {
  owner: { pipeline: 'fashion-demo', instanceId: 'run-1', purpose: 'training' },
  cluster,
  size: { headVmSize: 'Standard_D12_v2', workerVmSize: 'Standard_D4_v2', workerNodes: 2 },
  maxLifetimeMinutes: 180,
  timeoutMinutes: 2,
  pollSeconds: 30,
};

/** The cluster reports `states` in turn, then the last one forever. */
const clusterStates =
  (...states: ({ state: string; error?: string } | string)[]): Responder =>
  (_input, call) => {
    const next = states[Math.min(call.nth, states.length) - 1];
    return { ok: true, ...(typeof next === 'string' ? { state: next } : next) };
  };

function provision(
  activities: Record<string, Responder>,
  options: { input?: ProvisionInput; events?: EventTrigger[] } = {},
): Promise<ReplayResult<unknown>> {
  return replay(provisionCluster, {
    input: options.input ?? input,
    instanceId: 'run-1:provisionCluster',
    startAt,
    activities: { [provisionActivities.beginCreateCluster.name]: succeed, ...activities },
    events: options.events,
  });
}

describe('provisionCluster', () => {
  it('records the create with its expiry and ends as soon as the cluster runs', async () => {
    const result = await provision({ [provisionActivities.getClusterState.name]: clusterStates('running') });

    expect(result.output).toEqual({ ok: true });
    expect(namesOf(result.calls)).toEqual([provisionActivities.beginCreateCluster.name, provisionActivities.getClusterState.name]);
    expect(result.calls[0].input).toEqual({ ...input, expiresAt: at(180 * 60), now: at(0) });
    expect(result.calls[1].input).toEqual({ cluster });
    expect(result.timers).toEqual([]);
  });

  it('polls a creating cluster on a durable timer until it runs', async () => {
    const result = await provision({ [provisionActivities.getClusterState.name]: clusterStates('creating', 'creating', 'running') });

    expect(result.output).toEqual({ ok: true });
    expect(callsTo(result.calls, provisionActivities.getClusterState).map((c) => c.at)).toEqual([at(0), at(30), at(60)]);
    expect(result.timers.map((t) => [t.fireAt, t.fired, t.retry])).toEqual([
      [at(30), true, false],
      [at(60), true, false],
    ]);
  });

  it.each([
    [{ state: 'failed', error: 'VM size not available' }, 'VM size not available'],
    [{ state: 'deleted' }, 'the cluster is deleted'],
  ])('fails as COMPUTE.CREATE_FAILED when the cluster ends %o', async (state, message) => {
    const result = await provision({ [provisionActivities.getClusterState.name]: clusterStates('creating', state) });

    expect(result.output).toEqual({ ok: false, code: 'COMPUTE.CREATE_FAILED', message });
    expect(callsTo(result.calls, provisionActivities.getClusterState)).toHaveLength(2);
  });

  it('fails as COMPUTE.CREATE_TIMEOUT once the deadline has passed', async () => {
    const result = await provision({ [provisionActivities.getClusterState.name]: clusterStates('creating') });

    expect(result.output).toEqual({ ok: false, code: 'COMPUTE.CREATE_TIMEOUT', message: 'the cluster was not running within 2 minutes' });
    // Polls at 0, 30, 60, 90, 120 s are within the 2 minutes; the one at 150 s is past them.
    expect(
      callsTo(result.calls, provisionActivities.getClusterState)
        .map((c) => c.at)
        .at(-1),
    ).toBe(at(150));
    expect(result.endedAt.toISOString()).toBe(at(150));
  });

  it.each(['ARM.FORBIDDEN', 'ARM.QUOTA_EXCEEDED'])('ends on %s from the create without retrying it', async (code) => {
    const result = await provision({
      [provisionActivities.beginCreateCluster.name]: hosted(() => {
        throw permanent(code, 'refused');
      }),
    });

    expect(result.output).toEqual({ ok: false, code, message: 'refused' });
    expect(result.calls.map((c) => [c.name, c.attempt])).toEqual([[provisionActivities.beginCreateCluster.name, 1]]);
  });

  it('retries a transient fault of the create', async () => {
    const result = await provision({
      [provisionActivities.beginCreateCluster.name]: hosted((_input, call) => {
        if (call.attempt === 1) throw transientError('ARM.THROTTLED', 'throttled');
        return { ok: true };
      }),
      [provisionActivities.getClusterState.name]: clusterStates('running'),
    });

    expect(result.output).toEqual({ ok: true });
    expect(callsTo(result.calls, provisionActivities.beginCreateCluster).map((c) => [c.attempt, c.ok])).toEqual([
      [1, false],
      [2, true],
    ]);
  });

  it('fails as RUN.FAILED when the state cannot be read however often it is retried', async () => {
    const result = await provision({
      [provisionActivities.getClusterState.name]: () => {
        throw transientError('ARM.UNAVAILABLE', 'down');
      },
    });

    expect(result.output).toMatchObject({ ok: false, code: 'RUN.FAILED' });
    expect(callsTo(result.calls, provisionActivities.getClusterState)).toHaveLength(5);
  });

  it('stops waiting on a cancel, as RUN.CANCELLED', async () => {
    const result = await provision(
      { [provisionActivities.getClusterState.name]: clusterStates('creating') },
      { events: [{ name: 'cancel', afterActivity: provisionActivities.getClusterState.name, nth: 2 }] },
    );

    expect(result.output).toEqual({ ok: false, code: 'RUN.CANCELLED', message: 'the run was cancelled' });
    expect(callsTo(result.calls, provisionActivities.getClusterState)).toHaveLength(2);
    expect(result.timers.map((t) => [t.fired, t.cancelled])).toEqual([
      [true, false],
      [false, true],
    ]);
    expect(result.endedAt.toISOString()).toBe(at(30));
  });

  it('only checks an attached cluster: the create gets it as not owned, and it is running', async () => {
    const attached = clusterHandle('hdinsight', 'shared-cluster', false);
    const result = await provision(
      { [provisionActivities.getClusterState.name]: clusterStates('running') },
      { input: { ...input, cluster: attached } },
    );

    expect(result.output).toEqual({ ok: true });
    expect(result.calls.map((c) => c.input.cluster)).toEqual([attached, attached]);
  });
});
