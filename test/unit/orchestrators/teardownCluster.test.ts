import { provisionActivities, clusterHandle } from '../../../orchestrations/provisionCluster/contracts';
import { teardownActivities, TeardownInput } from '../../../orchestrations/teardownCluster/contracts';
import { teardownCluster } from '../../../orchestrations/teardownCluster/orchestrator';
import { permanent } from '../../../shared/errors';
import { EventTrigger, replay, ReplayResult, Responder } from '../../support/orchestrationReplay';
import { at, callsTo, hosted, namesOf, startAt, succeed } from './pipelineFixture';

const cluster = clusterHandle('hdinsight', 'canopy-demo-1234abcd', true);
const input: TeardownInput = { cluster, batchIds: ['b-1', 'b-2'], keep: false, pollSeconds: 30, timeoutMinutes: 2 };

/** The cluster is `deleting` for `polls` polls, then gone. */
const deletedAfter =
  (polls: number): Responder =>
  (_input, call) => ({ ok: true, state: call.nth > polls ? 'deleted' : 'deleting' });

function tearDown(
  activities: Record<string, Responder>,
  options: { input?: Partial<TeardownInput>; events?: EventTrigger[] } = {},
): Promise<ReplayResult<unknown>> {
  return replay(teardownCluster, {
    input: { ...input, ...options.input },
    instanceId: 'run-1:teardownCluster',
    startAt,
    activities: {
      [teardownActivities.beginDeleteCluster.name]: succeed,
      [teardownActivities.markTornDown.name]: succeed,
      [teardownActivities.keepUntilExpiry.name]: succeed,
      ...activities,
    },
    events: options.events,
  });
}

describe('teardownCluster', () => {
  it('leaves a cluster it does not own alone', async () => {
    const result = await tearDown({}, { input: { cluster: clusterHandle('hdinsight', 'shared-cluster', false) } });

    expect(result.output).toEqual({ ok: true, tornDown: true });
    expect(result.calls).toEqual([]);
  });

  it('keeps the cluster until its expiry when asked to', async () => {
    const result = await tearDown({}, { input: { keep: true } });

    expect(result.output).toEqual({ ok: true, tornDown: false });
    expect(namesOf(result.calls)).toEqual([teardownActivities.keepUntilExpiry.name]);
    expect(result.calls[0].input).toEqual({ cluster });
  });

  it('deletes the cluster, waits until it is gone, then marks it torn down', async () => {
    const result = await tearDown({ [provisionActivities.getClusterState.name]: deletedAfter(2) });

    expect(result.output).toEqual({ ok: true, tornDown: true });
    expect(namesOf(result.calls)).toEqual([
      teardownActivities.beginDeleteCluster.name,
      provisionActivities.getClusterState.name,
      provisionActivities.getClusterState.name,
      provisionActivities.getClusterState.name,
      teardownActivities.markTornDown.name,
    ]);
    expect(result.calls[0].input).toEqual({ cluster, batchIds: ['b-1', 'b-2'] });
    expect(callsTo(result.calls, provisionActivities.getClusterState).map((c) => c.at)).toEqual([at(0), at(30), at(60)]);
  });

  it('reports a cluster still there at the deadline as not torn down, for the reaper', async () => {
    const result = await tearDown({ [provisionActivities.getClusterState.name]: deletedAfter(Infinity) });

    expect(result.output).toEqual({ ok: true, tornDown: false });
    expect(callsTo(result.calls, teardownActivities.markTornDown)).toEqual([]);
    expect(callsTo(result.calls, provisionActivities.getClusterState).at(-1)?.at).toBe(at(150));
  });

  it('returns a refused deletion as a tagged failure', async () => {
    const result = await tearDown({
      [teardownActivities.beginDeleteCluster.name]: hosted(() => {
        throw permanent('ARM.FORBIDDEN', 'no delete permission');
      }),
    });

    expect(result.output).toEqual({ ok: false, code: 'ARM.FORBIDDEN', message: 'no delete permission' });
    expect(namesOf(result.calls)).toEqual([teardownActivities.beginDeleteCluster.name]);
  });

  it('is not cancellable: a cancel does not stop the deletion', async () => {
    const result = await tearDown(
      { [provisionActivities.getClusterState.name]: deletedAfter(1) },
      { events: [{ name: 'cancel', afterActivity: teardownActivities.beginDeleteCluster.name }] },
    );

    expect(result.output).toEqual({ ok: true, tornDown: true });
    expect(callsTo(result.calls, teardownActivities.markTornDown)).toHaveLength(1);
  });
});
