import { DevhostProcess } from '../support/devhostProcess';
import { clientCall, startDurableHost, startOrchestration, waitForStatus } from './durableHarness';

let host: DevhostProcess;

beforeAll(async () => {
  host = await startDurableHost();
});

afterAll(async () => {
  await host?.stop();
});

describe('Durable payloads, HTTP calls and failing sub-orchestrations', () => {
  test('inputs, results and events over 45 KB go through blobs and come back intact', async () => {
    const big = 'x'.repeat(100 * 1024);
    const id = await startOrchestration(host, 'echo', big);
    await waitForStatus(host, id, ['Running']);
    await clientCall(host, 'raiseEvent', { instanceId: id, eventName: 'extra', eventData: 'y'.repeat(60 * 1024) });
    const status = await waitForStatus(host, id, undefined, 15_000, '&showInput=true');
    expect(status.output).toEqual({ length: 160 * 1024, same: true });
    expect(status.input).toBe(big);
  });

  test('callHttp follows 202 + Location until the operation is done', async () => {
    const url = `${host.baseUrl}/api/operations/op-${Date.now()}`;
    const id = await startOrchestration(host, 'httpPoller', { url });
    const status = await waitForStatus(host, id, undefined, 15_000);
    expect(status.output).toEqual({ statusCode: 200, content: { done: true, polls: 3 } });
  });

  test('a failed sub-orchestration surfaces as an exception the parent can catch', async () => {
    const id = await startOrchestration(host, 'failingChild');
    const status = await waitForStatus(host, id);
    expect(status.runtimeStatus).toBe('Completed');
    expect((status.output as { caught: string }).caught).toMatch(/orchestrator exploded/);
  });
});
