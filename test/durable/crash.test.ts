import { DevhostProcess, startDevhost } from '../support/devhostProcess';
import { getStatus, startDurableHost, startOrchestration, waitForStatus } from './durableHarness';

async function completedSteps(host: DevhostProcess, id: string): Promise<number> {
  const { status } = await getStatus(host, id, '&showHistory=true');
  return status?.historyEvents?.filter((e) => e.EventType === 'TaskCompleted').length ?? 0;
}

describe('Durable crash recovery', () => {
  let host: DevhostProcess | undefined;

  afterEach(async () => {
    await host?.stop();
    host = undefined;
  });

  test('kill -9 in the middle of 20 sequential 200 ms activities: the instance finishes after a restart, each activity completed once', async () => {
    host = await startDurableHost();
    const id = await startOrchestration(host, 'sequence', { steps: 20, activity: 'slowStep' });
    const deadline = Date.now() + 20_000;
    while ((await completedSteps(host, id)) < 8) {
      if (Date.now() > deadline) throw new Error('the sequence did not progress');
      await new Promise((r) => setTimeout(r, 50));
    }
    await host.kill();
    host = await startDevhost(host.options());
    const status = await waitForStatus(host, id, undefined, 30_000, '&showHistory=true&showHistoryOutput=true');
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const completed = status.historyEvents?.filter((e) => e.EventType === 'TaskCompleted') ?? [];
    expect(completed.map((e) => e.Result)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(host.output()).toMatch(/breaking the lease of process \d+, which no longer runs/);
    expect(host.output()).toMatch(/resumed [1-9]\d* instance/);
  });

  test('kill -9 during a fan-out of 100 slow activities: after a restart each activity completed exactly once', async () => {
    host = await startDurableHost();
    const id = await startOrchestration(host, 'slowFanOut', 100);
    const deadline = Date.now() + 20_000;
    while ((await completedSteps(host, id)) < 30) {
      if (Date.now() > deadline) throw new Error('the fan-out did not progress');
      await new Promise((r) => setTimeout(r, 20));
    }
    await host.kill();
    host = await startDevhost(host.options());
    const status = await waitForStatus(host, id, undefined, 30_000, '&showHistory=true&showHistoryOutput=true');
    expect(status.output).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const results = (status.historyEvents ?? []).filter((e) => e.EventType === 'TaskCompleted').map((e) => e.Result as number);
    expect([...results].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  test('kill -9 while a sub-orchestration runs: parent, child and entity calls finish after a restart', async () => {
    host = await startDurableHost();
    const id = await startOrchestration(host, 'parentOfSlow');
    const child = `${id}:0000`;
    const deadline = Date.now() + 20_000;
    while ((await completedSteps(host, child)) < 4) {
      if (Date.now() > deadline) throw new Error('the child did not progress');
      await new Promise((r) => setTimeout(r, 20));
    }
    await host.kill();
    host = await startDevhost(host.options());
    const status = await waitForStatus(host, id, undefined, 30_000);
    expect(status.output).toEqual({ steps: 10, total: 10 });
  });

  test('a 5-second durable timer created before a restart fires after it', async () => {
    host = await startDurableHost();
    const started = Date.now();
    const id = await startOrchestration(host, 'sleeper', { ms: 5000 });
    await waitForStatus(host, id, ['Running']);
    await new Promise((r) => setTimeout(r, 300));
    await host.kill();
    await new Promise((r) => setTimeout(r, 1000));
    host = await startDevhost(host.options());
    const status = await waitForStatus(host, id, undefined, 15_000);
    expect(status.output).toBe('woke up');
    expect(Date.now() - started).toBeGreaterThanOrEqual(5000);
    expect(new Date(status.lastUpdatedTime).getTime() - new Date(status.createdTime).getTime()).toBeGreaterThanOrEqual(5000);
  });
});
