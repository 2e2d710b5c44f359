import { DevhostProcess } from '../support/devhostProcess';
import { startDurableHost, startOrchestration, waitForStatus } from './durableHarness';

let host: DevhostProcess;

beforeAll(async () => {
  host = await startDurableHost();
});

afterAll(async () => {
  await host?.stop();
});

describe('Durable faults', () => {
  test('an orchestrator exception fails the instance with the message as output and the stack in its history', async () => {
    const id = await startOrchestration(host, 'failing');
    const status = await waitForStatus(host, id, undefined, 30_000, '&showHistory=true');
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.output).toBe("Orchestrator function 'failing' failed: orchestrator exploded");
    const completed = status.historyEvents?.find((e) => e.EventType === 'ExecutionCompleted') as {
      FailureDetails?: { StackTrace?: string };
    };
    expect(completed.FailureDetails?.StackTrace).toMatch(/orchestrations\.js:\d+/);
  });

  test('a replay whose actions differ from the history fails with a message naming the mismatch', async () => {
    const id = await startOrchestration(host, 'nonDeterministic');
    const status = await waitForStatus(host, id);
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.output).toMatch(/Non-deterministic workflow detected/);
    expect(status.output).toMatch(/CallActivity 'double'/);
    expect(status.output).toMatch(/CallActivity 'sayHello'/);
  });

  test('an unknown activity name fails the instance with a clear message instead of hanging', async () => {
    const id = await startOrchestration(host, 'unknownActivity');
    const status = await waitForStatus(host, id, undefined, 10_000);
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.output).toMatch(/The function 'noSuchActivity' doesn't exist, is disabled, or is not an activity function/);
  });
});
