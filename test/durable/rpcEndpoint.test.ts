import { DevhostProcess } from '../support/devhostProcess';
import { clientCall, getStatus, startDurableHost, startOrchestration, waitForStatus } from './durableHarness';

let host: DevhostProcess;
let rpcPort: number;

beforeAll(async () => {
  host = await startDurableHost();
  await host.waitForOutput(/Durable client endpoint for the worker on 127\.0\.0\.1:(\d+)/);
  rpcPort = Number(/Durable client endpoint for the worker on 127\.0\.0\.1:(\d+)/.exec(host.output())?.[1]);
});

afterAll(async () => {
  await host?.stop();
});

/** Every route the SDK's client calls at `rpcBaseUrl`, relative to it. */
function rpcRoutes(id: string): [string, string][] {
  return [
    ['GET', `instances/${id}?showHistory=true`],
    ['GET', 'instances'],
    ['DELETE', `instances/${id}`],
    ['DELETE', 'instances?createdTimeFrom=2000-01-01T00:00:00Z'],
    ['POST', 'orchestrators/chain'],
    ['POST', `orchestrators/chain/rpc-intruder-${id}`],
    ['POST', `instances/${id}/terminate?reason=intruder`],
    ['POST', `instances/${id}/suspend?reason=intruder`],
    ['POST', `instances/${id}/resume?reason=intruder`],
    ['POST', `instances/${id}/rewind?reason=intruder`],
    ['POST', `instances/${id}/restart`],
    ['POST', `instances/${id}/raiseEvent/go`],
    ['GET', 'entities/counter/k'],
    ['GET', 'entities'],
    ['POST', 'entities/counter/k?op=add'],
    ['DELETE', 'entities/counter/k'],
  ];
}

describe('the Durable RPC routes answer only the host’s own worker', () => {
  test('every RPC route is refused without the secret, on the API port and on the RPC port, and changes nothing', async () => {
    const id = await startOrchestration(host, 'waiter');
    await waitForStatus(host, id, ['Running']);
    const bases = [
      `${host.baseUrl}/durabletask/`,
      `${host.baseUrl}/durabletask/`.replace('/durabletask/', '/api/durabletask/'),
      `http://127.0.0.1:${rpcPort}/durabletask/`,
      `http://127.0.0.1:${rpcPort}/not-the-secret/durabletask/`,
      `http://127.0.0.1:${rpcPort}//durabletask/`,
    ];
    const answers: string[] = [];
    for (const base of bases) {
      for (const [method, route] of rpcRoutes(id)) {
        for (const key of [undefined, host.masterKey]) {
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (key) headers['x-functions-key'] = key;
          const res = await fetch(`${base}${route}`, { method, headers, body: method === 'POST' ? '"x"' : undefined });
          const text = await res.text();
          answers.push(`${res.status} ${method} ${base}${route}`);
          expect(text).not.toContain(host.masterKey);
          expect([401, 404]).toContain(res.status);
        }
      }
    }
    expect(answers).toHaveLength(bases.length * rpcRoutes(id).length * 2);
    expect((await getStatus(host, id)).status?.runtimeStatus).toBe('Running');
    expect((await getStatus(host, `rpc-intruder-${id}`)).http).toBe(404);
    // The app's own client, through the secret endpoint, still works.
    expect((await clientCall(host, 'terminate', { instanceId: id, reason: 'by the app' })).status).toBe(202);
    expect((await waitForStatus(host, id)).runtimeStatus).toBe('Terminated');
  });
});
