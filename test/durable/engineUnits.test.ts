// The engine's pure parts, without a host: action numbering and the determinism check, retry
// delays, retry state rebuilt from history, table keys and the status view.
import { deterministicGuid, planActions } from '../../devhost/durable/actionPlanner';
import { EventType, historyEvent } from '../../devhost/durable/historyEvents';
import { nextAttemptDelayMs } from '../../devhost/durable/retryPolicy';
import { RetryTracker } from '../../devhost/durable/retryTracker';
import { ActionType } from '../../devhost/durable/sdkActions';
import { historyJson } from '../../devhost/durable/statusFormat';
import { inboxRowKey, instanceIdOf, partitionKeyOf } from '../../devhost/durable/tableKeys';

const now = new Date('2026-01-01T00:00:00Z');

describe('planActions', () => {
  test('numbers new actions as the SDK numbers its tasks: waits and continueAsNew take none, signals one', () => {
    const actions = [
      [
        { actionType: ActionType.CallActivity, functionName: 'a', input: 1 },
        { actionType: ActionType.WaitForExternalEvent, externalEventName: 'go' },
        { actionType: ActionType.SignalEntity, instanceId: '@counter@k', operation: 'add', input: 2 },
        {
          actionType: ActionType.WhenAll,
          compoundActions: [
            { actionType: ActionType.CallActivity, functionName: 'b' },
            { actionType: ActionType.CreateTimer, fireAt: now.toISOString(), isCanceled: false },
          ],
        },
      ],
    ];
    const plan = planActions({ instanceId: 'i', actions, recorded: [], nextId: 0, now });
    expect(plan.recorded.map((r) => r.id)).toEqual([0, undefined, 1, 2, 3]);
    expect(plan.nextId).toBe(4);
    expect(plan.events.map((e) => [EventType[e.EventType], e.EventId])).toEqual([
      ['TaskScheduled', 0],
      ['EventSent', 1],
      ['TaskScheduled', 2],
      ['TimerCreated', 3],
    ]);
    expect(plan.effects.map((e) => e.kind)).toEqual(['activity', 'send', 'activity', 'timer']);
    expect(plan.events[0].Input).toBe('1');
  });

  test('replayed actions must match the recorded ones', () => {
    const first = planActions({
      instanceId: 'i',
      actions: [[{ actionType: ActionType.CallActivity, functionName: 'a' }]],
      recorded: [],
      nextId: 0,
      now,
    });
    const replay = planActions({
      instanceId: 'i',
      actions: [[{ actionType: ActionType.CallActivity, functionName: 'b' }]],
      recorded: first.recorded,
      nextId: first.nextId,
      now,
    });
    expect(replay.nonDeterminism).toMatch(
      /action #0 on replay is CallActivity 'b', but the history recorded CallActivity 'a' \(sequence number 0\)/,
    );
    const same = planActions({
      instanceId: 'i',
      actions: [[{ actionType: ActionType.CallActivity, functionName: 'a' }]],
      recorded: first.recorded,
      nextId: first.nextId,
      now,
    });
    expect(same.nonDeterminism).toBeUndefined();
    expect(same.events).toEqual([]);
  });

  test('string inputs arrive pre-serialised and stay JSON text', () => {
    const plan = planActions({
      instanceId: 'i',
      actions: [[{ actionType: ActionType.CallActivity, functionName: 'a', input: '"x"' }]],
      recorded: [],
      nextId: 0,
      now,
    });
    expect(plan.events[0].Input).toBe('"x"');
  });

  test('a sub-orchestration string input is serialised here (the SDK leaves it raw)', () => {
    const plan = planActions({
      instanceId: 'i',
      actions: [[{ actionType: ActionType.CallSubOrchestrator, functionName: 'child', instanceId: 'i:c', input: 'x' }]],
      recorded: [],
      nextId: 0,
      now,
    });
    expect(plan.events[0].Input).toBe('"x"');
    expect(plan.effects[0]).toMatchObject({ kind: 'child', childId: 'i:c', input: '"x"' });
  });

  test('entity request ids are stable across replays', () => {
    expect(deterministicGuid('i', 3)).toBe(deterministicGuid('i', 3));
    expect(deterministicGuid('i', 3)).not.toBe(deterministicGuid('i', 4));
    expect(deterministicGuid('i', 3)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('nextAttemptDelayMs', () => {
  const options = {
    firstRetryIntervalInMilliseconds: 100,
    maxNumberOfAttempts: 4,
    backoffCoefficient: 2,
    maxRetryIntervalInMilliseconds: 300,
  };

  test('backs off by the coefficient up to the maximum interval', () => {
    expect(nextAttemptDelayMs(options, 1, 0, 0)).toBe(100);
    expect(nextAttemptDelayMs(options, 2, 0, 0)).toBe(200);
    expect(nextAttemptDelayMs(options, 3, 0, 0)).toBe(300);
  });

  test('stops after the last attempt and when the retry timeout would pass', () => {
    expect(nextAttemptDelayMs(options, 4, 0, 0)).toBeUndefined();
    expect(nextAttemptDelayMs({ ...options, retryTimeoutInMilliseconds: 1000 }, 1, 0, 950)).toBeUndefined();
    expect(nextAttemptDelayMs({ ...options, retryTimeoutInMilliseconds: 1000 }, 1, 0, 800)).toBe(100);
  });
});

describe('RetryTracker.fromHistory', () => {
  test('follows an activity through a failure and its retry timer to the next attempt', () => {
    const retry = { firstRetryIntervalInMilliseconds: 10, maxNumberOfAttempts: 3 };
    const history = [
      historyEvent(EventType.TaskScheduled, { Name: 'flaky', Input: '1' }, 0, now),
      historyEvent(EventType.TaskFailed, { TaskScheduledId: 0, Reason: 'boom' }, -1, now),
      historyEvent(EventType.TimerCreated, { FireAt: now.toISOString(), RetryOf: 0 }, 1, now),
      historyEvent(EventType.TimerFired, { TimerId: 1 }, -1, now),
      historyEvent(EventType.TaskScheduled, { Name: 'flaky', Input: '1', RetryOf: 0 }, 2, now),
    ];
    const tracker = RetryTracker.fromHistory(history, [
      { type: ActionType.CallActivityWithRetry, name: "CallActivityWithRetry 'flaky'", id: 0, retry },
    ]);
    expect(tracker.get(0)).toBeUndefined();
    expect(tracker.get(2)).toMatchObject({ originId: 0, failedAttempts: 1, waitingOnTimer: false, name: 'flaky', input: '1' });
  });
});

describe('table keys', () => {
  test('instance ids with characters tables forbid round-trip through partition keys', () => {
    const id = 'a/b\\c#d?e%f\u0001g';
    expect([...partitionKeyOf(id)].filter((c) => '/\\#?\u0001'.includes(c))).toEqual([]);
    expect(instanceIdOf(partitionKeyOf(id))).toBe(id);
  });

  test('inbox row keys sort in the order they were made', () => {
    const keys = [inboxRowKey(1000), inboxRowKey(1000), inboxRowKey(999), inboxRowKey(1001)];
    expect([...keys].sort()).toEqual(keys);
  });
});

test('historyJson folds scheduling into completions and hides replay bookkeeping', () => {
  const history = [
    historyEvent(EventType.OrchestratorStarted, {}, -1, now),
    historyEvent(EventType.ExecutionStarted, { Name: 'o', Input: '{"a":1}' }, -1, now),
    historyEvent(EventType.TaskScheduled, { Name: 'act' }, 0, now),
    historyEvent(EventType.OrchestratorCompleted, {}, -1, now),
    historyEvent(EventType.TaskCompleted, { TaskScheduledId: 0, Result: '"r"' }, -1, now),
    historyEvent(EventType.ExecutionCompleted, { OrchestrationStatus: 'Completed', Result: '"r"' }, -1, now),
  ];
  expect(historyJson(history, true)).toEqual([
    { EventType: 'ExecutionStarted', Timestamp: now.toISOString(), FunctionName: 'o', Input: { a: 1 } },
    { EventType: 'TaskCompleted', Timestamp: now.toISOString(), FunctionName: 'act', ScheduledTime: now.toISOString(), Result: 'r' },
    { EventType: 'ExecutionCompleted', Timestamp: now.toISOString(), OrchestrationStatus: 'Completed', Result: 'r' },
  ]);
  expect(historyJson(history, false)[1]).not.toHaveProperty('Result');
});
