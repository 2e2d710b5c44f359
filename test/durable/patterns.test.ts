import { DevhostProcess } from '../support/devhostProcess';
import { startDurableHost, startOrchestration, waitForStatus } from './durableHarness';

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
});
