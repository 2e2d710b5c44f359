import { DevhostProcess } from '../support/devhostProcess';
import { clientCall, getStatus, startDurableHost, startOrchestration, waitForStatus } from './durableHarness';

let host: DevhostProcess;

beforeAll(async () => {
  host = await startDurableHost();
});

afterAll(async () => {
  await host?.stop();
});

describe('Durable patterns on the devhost', () => {
  test('function chaining runs the activities in order', async () => {
    const id = await startOrchestration(host, 'chain');
    const status = await waitForStatus(host, id);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual(['Hello Tokyo!', 'Hello Seattle!', 'Hello London!']);
  });

  test('fan-out/fan-in of 500 activities', async () => {
    const id = await startOrchestration(host, 'fanOut', 500);
    const status = await waitForStatus(host, id, undefined, 60_000, '&showHistory=true');
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toBe(500 * 501);
    expect(status.historyEvents?.filter((e) => e.EventType === 'TaskCompleted')).toHaveLength(500);
  });

  test('human interaction: the approval event wins the race against the timer', async () => {
    const id = await startOrchestration(host, 'approval', { timeoutMs: 30_000 });
    await waitForStatus(host, id, ['Running']);
    expect((await clientCall(host, 'raiseEvent', { instanceId: id, eventName: 'Approval', eventData: { by: 'ada' } })).status).toBe(202);
    const status = await waitForStatus(host, id, undefined, 10_000);
    expect(status.output).toBe('approved by ada');
  });

  test('human interaction: the durable timer wins when no one answers', async () => {
    const started = Date.now();
    const id = await startOrchestration(host, 'approval', { timeoutMs: 500 });
    const status = await waitForStatus(host, id);
    expect(status.output).toBe('timed out');
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
  });

  test('an event raised before the orchestrator waits for it is kept', async () => {
    const id = await startOrchestration(host, 'waiter', undefined, `early-${Date.now()}`);
    expect((await clientCall(host, 'raiseEvent', { instanceId: id, eventName: 'go', eventData: 'early bird' })).status).toBe(202);
    expect((await waitForStatus(host, id)).output).toBe('Hello early bird!');
  });

  test('monitor: polls with durable timers until the condition holds, with custom status', async () => {
    const id = await startOrchestration(host, 'monitor', { key: `gauge-${Date.now()}`, target: 4, intervalMs: 100 });
    const status = await waitForStatus(host, id);
    expect(status.output).toEqual({ polls: 4, value: 4 });
    expect(status.customStatus).toEqual({ polls: 4, value: 4 });
  });

  test('sub-orchestrations: two in parallel, and one that fails once and is retried', async () => {
    const id = await startOrchestration(host, 'parent');
    const status = await waitForStatus(host, id);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual({ a: ['Hello Tokyo!', 'Hello Seattle!', 'Hello London!'], b: 110, retried: 2 });
  });

  test('eternal orchestration: continueAsNew keeps events that arrive in between', async () => {
    const id = await startOrchestration(host, 'eternal', { count: 0, sum: 0, until: 5 });
    await waitForStatus(host, id, ['Running']);
    for (let i = 1; i <= 5; i++) await clientCall(host, 'raiseEvent', { instanceId: id, eventName: 'tick', eventData: i });
    const status = await waitForStatus(host, id);
    expect(status.output).toEqual({ count: 5, sum: 15 });
  });

  test('an activity that fails twice succeeds on the third attempt', async () => {
    const id = await startOrchestration(host, 'retrying', { failTimes: 2, maxAttempts: 3 });
    const status = await waitForStatus(host, id, undefined, 10_000, '&showHistory=true');
    expect(status.output).toEqual({ ok: true, attempt: 3 });
    const flaky = status.historyEvents?.filter((e) => e.FunctionName === 'flaky').map((e) => e.EventType);
    expect(flaky).toEqual(['TaskFailed', 'TaskFailed', 'TaskCompleted']);
  });

  test('retries that are used up fail the task, and the orchestrator can catch it', async () => {
    const id = await startOrchestration(host, 'retrying', { failTimes: 10, maxAttempts: 3 });
    const status = await waitForStatus(host, id, undefined, 10_000, '&showHistory=true');
    expect(status.output).toEqual({ ok: false, message: expect.stringContaining('flaky attempt 3 failed') });
    expect(status.historyEvents?.filter((e) => e.FunctionName === 'flaky')).toHaveLength(3);
  });

  test('when the retry timeout runs out, the remaining attempts fail without running', async () => {
    const id = await startOrchestration(host, 'retryTimeout');
    const status = await waitForStatus(host, id, undefined, 10_000, '&showHistory=true');
    const output = status.output as { message: string; ran: number };
    // 1 s between attempts, 1.5 s allowed: the second attempt is the last to run (the first, on a very slow machine).
    expect(output.ran).toBeGreaterThanOrEqual(1);
    expect(output.ran).toBeLessThanOrEqual(2);
    expect(output.message).toContain(`flaky attempt ${output.ran} failed`);
    expect(status.historyEvents?.filter((e) => e.FunctionName === 'flaky' && e.EventType === 'TaskFailed')).toHaveLength(5);
  });

  test('an activity failure is caught with try/catch in the orchestrator', async () => {
    const id = await startOrchestration(host, 'catching');
    const status = await waitForStatus(host, id);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual({ caught: expect.stringContaining('disk on fire'), after: 'Hello recovery!' });
  });

  test('entity counter: signals, calls and readEntityState', async () => {
    const key = `k${Date.now()}`;
    const id = await startOrchestration(host, 'counterUser', { key });
    expect((await waitForStatus(host, id)).output).toBe(15);
    expect((await clientCall(host, 'signalEntity', { entity: { name: 'counter', key }, operation: 'add', input: 7 })).status).toBe(202);
    const deadline = Date.now() + 5000;
    let state: unknown;
    while (Date.now() < deadline) {
      state = (await clientCall(host, 'readEntityState', { entity: { name: 'counter', key } })).body;
      if ((state as { entityState?: number }).entityState === 22) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(state).toEqual({ entityExists: true, entityState: 22 });
    expect((await clientCall(host, 'readEntityState', { entity: { name: 'counter', key: 'never-used' } })).body).toEqual({
      entityExists: false,
    });
  });

  test('critical section: lock two entities and move an amount between them', async () => {
    const from = `from${Date.now()}`;
    const to = `to${Date.now()}`;
    await clientCall(host, 'signalEntity', { entity: { name: 'counter', key: from }, operation: 'add', input: 100 });
    const id = await startOrchestration(host, 'transfer', { from, to, amount: 30 });
    expect((await waitForStatus(host, id)).output).toEqual({ ok: true });
    expect((await clientCall(host, 'readEntityState', { entity: { name: 'counter', key: from } })).body).toEqual({
      entityExists: true,
      entityState: 70,
    });
    expect((await clientCall(host, 'readEntityState', { entity: { name: 'counter', key: to } })).body).toEqual({
      entityExists: true,
      entityState: 30,
    });
  });

  test('critical sections exclude each other: of two concurrent transfers that each need the balance, one succeeds', async () => {
    const from = `cfrom${Date.now()}`;
    const to = `cto${Date.now()}`;
    await clientCall(host, 'signalEntity', { entity: { name: 'counter', key: from }, operation: 'add', input: 100 });
    const ids = await Promise.all([1, 2].map(() => startOrchestration(host, 'transfer', { from, to, amount: 60 })));
    const outputs = await Promise.all(ids.map(async (id) => (await waitForStatus(host, id)).output as { ok: boolean }));
    expect(outputs.filter((o) => o.ok)).toHaveLength(1);
    expect((await clientCall(host, 'readEntityState', { entity: { name: 'counter', key: from } })).body).toEqual({
      entityExists: true,
      entityState: 40,
    });
    expect((await clientCall(host, 'readEntityState', { entity: { name: 'counter', key: to } })).body).toEqual({
      entityExists: true,
      entityState: 60,
    });
  });

  test('getStatus through the SDK client shows history and input on request', async () => {
    const id = await startOrchestration(host, 'chain', { note: 'hi' });
    await waitForStatus(host, id);
    const { body } = await clientCall(host, 'getStatus', {
      instanceId: id,
      options: { showHistory: true, showHistoryOutput: true, showInput: true },
    });
    const status = body as { input: unknown; runtimeStatus: string; history: { EventType: string; Result?: unknown }[] };
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.input).toEqual({ note: 'hi' });
    expect(status.history.map((e) => e.EventType)).toEqual([
      'ExecutionStarted',
      'TaskCompleted',
      'TaskCompleted',
      'TaskCompleted',
      'ExecutionCompleted',
    ]);
    expect(status.history[1].Result).toBe('Hello Tokyo!');
    expect((await getStatus(host, 'no-such-instance')).http).toBe(404);
  });
});
