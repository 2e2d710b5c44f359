import { transientError } from '../../shared/errors';
import { EventType } from '../../devhost/durable/historyEvents';
import { replay, Responder } from '../support/orchestrationReplay';
import {
  countdown,
  forever,
  reusedTimer,
  showcase,
  ShowcaseInput,
  sumAfterPause,
  unstableOrchestrator,
  withRetriedChild,
} from '../fixtures/replay/orchestrators';

const startAt = new Date('2026-01-01T00:00:00Z');
const at = (seconds: number): string => new Date(startAt.getTime() + seconds * 1000).toISOString();

const showcaseActivities = (fetch: Responder): Record<string, Responder> => ({
  fetch,
  square: (n: number) => n * n,
  sum: (values: number[]) => values.reduce((a, b) => a + b, 0),
});
const showcaseInput: ShowcaseInput = { values: [1, 2, 3], approvalMinutes: 10 };

describe('orchestration replay driver', () => {
  it('plays a retried activity, a fan-out, an event that beats a timer and a sub-orchestration', async () => {
    const result = await replay(showcase, {
      input: showcaseInput,
      instanceId: 's-1',
      startAt,
      activities: showcaseActivities((input: { values: number[] }, call) => {
        if (call.attempt === 1) throw transientError('NETWORK.UNREACHABLE', 'connection reset');
        return { count: input.values.length };
      }),
      subOrchestrators: { sumAfterPause },
      events: [{ name: 'approve', input: { by: 'ada' }, when: (s) => s.waitingFor.includes('approve') }],
    });

    expect(result.status).toBe('completed');
    expect(result.output).toEqual({
      fetched: { count: 3 },
      squares: [1, 4, 9],
      approval: 'approved',
      approver: 'ada',
      child: { total: 14, at: at(31) },
      startedAt: at(0),
      endedAt: at(31),
    });
    expect(result.calls.map((c) => [c.name, c.attempt, c.ok])).toEqual([
      ['fetch', 1, false],
      ['fetch', 2, true],
      ['square', 1, true],
      ['square', 1, true],
      ['square', 1, true],
      ['sum', 1, true],
    ]);
    expect(result.calls[0].error).toBe('connection reset');
    expect(result.calls.find((c) => c.name === 'sum')).toMatchObject({ instanceId: 's-1:0007', input: [1, 4, 9], at: at(31) });
    // The back-off timer of the retry (1 s), the approval deadline (cancelled by the event), the child's 30 s pause.
    expect(result.timers.map((t) => [t.fireAt, t.retry, t.fired, t.cancelled])).toEqual([
      [at(1), true, true, false],
      [at(601), false, false, true],
      [at(31), false, true, false],
    ]);
    expect(result.customStatuses).toEqual([
      { stage: 'fetch' },
      { stage: 'square' },
      { stage: 'approval' },
      { stage: 'child' },
      { stage: 'done' },
    ]);
    expect(result.children['s-1:0007']).toMatchObject({ status: 'completed', output: { total: 14 } });
    expect(result.history.filter((e) => e.EventType === EventType.OrchestratorStarted).map((e) => e.Timestamp)).toContain(at(1));
  });

  it('lets the timer win when the event never comes, advancing the virtual clock to it', async () => {
    const result = await replay(showcase, {
      input: showcaseInput,
      startAt,
      activities: showcaseActivities(() => ({ count: 3 })),
      subOrchestrators: { sumAfterPause: () => ({ total: -1 }) },
    });

    expect(result.status).toBe('completed');
    expect(result.output).toMatchObject({ approval: 'timed out', child: { total: -1 }, endedAt: at(600) });
    expect(result.timers).toEqual([expect.objectContaining({ fireAt: at(600), fired: true, cancelled: false })]);
    expect(result.events).toEqual([]);
  });

  it('fails the task after maxNumberOfAttempts thrown errors, backing off as the RetryOptions say', async () => {
    const result = await replay(showcase, {
      input: showcaseInput,
      startAt,
      activities: showcaseActivities(() => {
        throw transientError('STORE.THROTTLED', 'throttled');
      }),
    });

    expect(result.status).toBe('failed');
    expect(result.error?.message).toContain('throttled');
    expect(result.calls.map((c) => [c.name, c.attempt, c.at])).toEqual([
      ['fetch', 1, at(0)],
      ['fetch', 2, at(1)],
      ['fetch', 3, at(3)],
    ]);
    expect(result.history.at(-2)).toMatchObject({ EventType: EventType.ExecutionCompleted, OrchestrationStatus: 'Failed' });
  });

  it('retries a sub-orchestration answered from the table, under its fixed instance id', async () => {
    const result = await replay(withRetriedChild, {
      startAt,
      subOrchestrators: {
        flakyChild: (input: string, call) => {
          if (call.attempt === 1) throw new Error('child failed once');
          return { echoed: input, instanceId: call.instanceId };
        },
      },
    });

    expect(result.status).toBe('completed');
    expect(result.output).toEqual({ echoed: 'payload', instanceId: 'child-fixed-id' });
    expect(result.timers).toEqual([expect.objectContaining({ fireAt: at(0.5), retry: true, fired: true })]);
  });

  it('runs each generation of an orchestrator that continues as new', async () => {
    const result = await replay(countdown, { input: 3, startAt, activities: { tick: () => null } });

    expect(result).toMatchObject({ status: 'completed', output: 'liftoff', continuedAsNew: 2 });
    expect(result.calls.map((c) => c.input)).toEqual([3, 2, 1]);
  });

  it('fails an orchestrator that schedules different work on replay', async () => {
    const result = await replay(unstableOrchestrator(), { startAt, activities: { first: () => 1, second: () => 2, third: () => 3 } });

    expect(result.status).toBe('failed');
    expect(result.error?.message).toMatch(/^Non-deterministic workflow detected: .*CallActivity 'second'.*CallActivity 'first'/);
    expect(result.calls.map((c) => c.name)).toEqual(['first']);
  });

  it('fails an orchestrator whose task numbering would drift from the actions it sends', async () => {
    const result = await replay(reusedTimer, { startAt, activities: { a: () => 1, b: () => 2 } });

    expect(result.status).toBe('failed');
    expect(result.error?.message).toMatch(/the SDK numbered 3 tasks but its actions account for 4/);
  });

  it('stops as waiting when nothing can move the orchestrator on', async () => {
    const result = await replay(showcase, {
      input: showcaseInput,
      startAt,
      activities: showcaseActivities(() => ({ count: 3 })),
      timers: 'hold',
    });

    expect(result.status).toBe('waiting');
    expect(result.waitingFor).toEqual(['approve']);
    expect(result.customStatus).toEqual({ stage: 'approval' });
  });

  it('rejects on a missing responder and on an orchestrator that never ends', async () => {
    await expect(replay(showcase, { input: showcaseInput, startAt })).rejects.toThrow("no responder for activity 'fetch'");
    await expect(replay(forever, { startAt, maxEpisodes: 20 })).rejects.toThrow('did not finish within 20 episodes');
  });
});
