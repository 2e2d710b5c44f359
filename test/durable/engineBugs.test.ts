import { TableClient } from '@azure/data-tables';
import { DevhostProcess, startDevhost } from '../support/devhostProcess';
import { testAppSettings } from '../support/testStack';
import { clientCall, getStatus, postWebhook, startDurableHost, startOrchestration, uniqueHub, waitForStatus } from './durableHarness';

function instancesTable(hub: string): TableClient {
  return TableClient.fromConnectionString(testAppSettings().AzureWebJobsStorage, `${hub}Instances`, { allowInsecureConnection: true });
}

async function indexedStatus(hub: string, instanceId: string): Promise<string | undefined> {
  try {
    return (await instancesTable(hub).getEntity<{ status: string }>(instanceId, '')).status;
  } catch {
    return undefined;
  }
}

describe('Durable engine: suspend, rewind and the instances index behave as on the real host', () => {
  let host: DevhostProcess | undefined;

  afterEach(async () => {
    await host?.stop();
    host = undefined;
  });

  test('suspend, suspend again, then one resume returns the instance to Running and it finishes', async () => {
    host = await startDurableHost();
    const id = await startOrchestration(host, 'waiter');
    await waitForStatus(host, id, ['Running']);
    expect((await postWebhook(host, `instances/${id}/suspend?reason=one`)).status).toBe(202);
    await waitForStatus(host, id, ['Suspended']);
    expect((await postWebhook(host, `instances/${id}/suspend?reason=two`)).status).toBe(202);
    await new Promise((r) => setTimeout(r, 300));
    expect((await postWebhook(host, `instances/${id}/resume?reason=once`)).status).toBe(202);
    await waitForStatus(host, id, ['Running'], 10_000);
    await new Promise((r) => setTimeout(r, 500));
    expect((await getStatus(host, id)).status?.runtimeStatus).toBe('Running');
    await clientCall(host, 'raiseEvent', { instanceId: id, eventName: 'go', eventData: 'again' });
    expect((await waitForStatus(host, id, undefined, 10_000)).output).toBe('Hello again!');
  });

  test('rewinding an instance that failed in its own code replays it, and it fails again', async () => {
    host = await startDurableHost();
    const id = await startOrchestration(host, 'failing');
    const failed = await waitForStatus(host, id);
    expect(failed.runtimeStatus).toBe('Failed');
    expect((await postWebhook(host, `instances/${id}/rewind?reason=again`)).status).toBe(202);
    const again = await waitForStatus(host, id, ['Failed'], 10_000, '&showHistory=true');
    expect(again.output).toMatch(/orchestrator exploded/);
    expect(again.historyEvents?.map((e) => e.EventType)).toEqual(['ExecutionStarted', 'TaskCompleted', 'ExecutionCompleted']);
  });

  test('an index row a crash left stale (Running for a completed instance, or missing) is repaired at the next start', async () => {
    const hub = uniqueHub();
    host = await startDurableHost(hub);
    const completed = await startOrchestration(host, 'chain');
    const unindexed = await startOrchestration(host, 'chain');
    await waitForStatus(host, completed);
    await waitForStatus(host, unindexed);
    await host.kill();
    // The state a kill between the checkpoint and the index write leaves behind.
    await instancesTable(hub).updateEntity({ partitionKey: completed, rowKey: '', status: 'Running' }, 'Merge');
    await instancesTable(hub).deleteEntity(unindexed, '');
    host = await startDevhost(host.options());
    await host.waitForOutput(/Repaired 2 instances-index row/);
    expect(await indexedStatus(hub, completed)).toBe('Completed');
    expect(await indexedStatus(hub, unindexed)).toBe('Completed');
    const running = (await clientCall(host, 'getStatusBy', { runtimeStatus: ['Running'] })).body as { instanceId: string }[];
    expect(running.map((s) => s.instanceId)).not.toContain(completed);
    const done = (await clientCall(host, 'getStatusBy', { runtimeStatus: ['Completed'] })).body as { instanceId: string }[];
    expect(done.map((s) => s.instanceId).sort()).toEqual([completed, unindexed].sort());
  });
});
