import http from 'node:http';
import { DevhostProcess } from '../support/devhostProcess';
import { getStatus, postWebhook, startDurableHost, startOrchestration, waitForStatus } from './durableHarness';

let host: DevhostProcess;

beforeAll(async () => {
  host = await startDurableHost();
});

afterAll(async () => {
  await host?.stop();
});

const wholeSecond = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

function webhook(path: string, init: RequestInit = {}): Promise<Response> {
  const sep = path.includes('?') ? '&' : '?';
  return fetch(`${host.baseUrl}/runtime/webhooks/durabletask/${path}${sep}code=${host.masterKey}`, init);
}

const jsonPost = (body: string): RequestInit => ({ method: 'POST', body, headers: { 'content-type': 'application/json' } });

async function entityState(name: string, key: string, timeoutMs = 10_000): Promise<{ status: number; body?: unknown }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await webhook(`entities/${name}/${key}`);
    if (res.status === 200 || Date.now() > deadline) return { status: res.status, body: res.status === 200 ? await res.json() : undefined };
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the Durable HTTP API answers as the extension does', () => {
  test('times are in whole seconds; a 202 asks for Retry-After 5', async () => {
    const start = await webhook('orchestrators/waiter', { method: 'POST' });
    expect(start.status).toBe(202);
    expect(start.headers.get('retry-after')).toBe('5');
    const { id } = (await start.json()) as { id: string };
    await waitForStatus(host, id, ['Running']);
    const running = await webhook(`instances/${id}`);
    expect(running.status).toBe(202);
    expect(running.headers.get('retry-after')).toBe('5');
    const status = (await running.json()) as { createdTime: string; lastUpdatedTime: string };
    expect(status.createdTime).toMatch(wholeSecond);
    expect(status.lastUpdatedTime).toMatch(wholeSecond);
    await postWebhook(host, `instances/${id}/terminate?reason=cleanup`);
  });

  test('an idle connection is kept for 130 s as Kestrel keeps it, so a client reusing it does not meet a close', async () => {
    const keepAlive = await new Promise<string | string[] | undefined>((resolve, reject) => {
      const agent = new http.Agent({ keepAlive: true });
      http
        .get(`${host.baseUrl}/runtime/webhooks/durabletask/instances?code=${host.masterKey}`, { agent }, (res) => {
          res.resume();
          res.on('end', () => {
            agent.destroy();
            resolve(res.headers['keep-alive']);
          });
        })
        .on('error', reject);
    });
    expect(keepAlive).toBe('timeout=130');
  });

  test('raiseEvent needs JSON content: text/plain is a 400 and the event is not delivered', async () => {
    const id = await startOrchestration(host, 'waiter');
    await waitForStatus(host, id, ['Running']);
    const plain = await webhook(`instances/${id}/raiseEvent/go`, {
      method: 'POST',
      body: '"text"',
      headers: { 'content-type': 'text/plain' },
    });
    expect(plain.status).toBe(400);
    expect(((await plain.json()) as { message: string }).message).toMatch(/application\/json/);
    await new Promise((r) => setTimeout(r, 300));
    expect((await getStatus(host, id)).status?.runtimeStatus).toBe('Running');
    expect((await webhook(`instances/${id}/raiseEvent/go`, jsonPost('"json"'))).status).toBe(202);
    expect((await waitForStatus(host, id)).output).toBe('Hello json!');
  });

  test('an entity signal with a text body gets the text as a string; JSON content is parsed', async () => {
    const key = `text${Date.now()}`;
    expect(
      (await webhook(`entities/counter/${key}?op=add`, { method: 'POST', body: '5', headers: { 'content-type': 'text/plain' } })).status,
    ).toBe(202);
    expect((await entityState('counter', key)).body).toBe('05');
    const json = `json${Date.now()}`;
    expect((await webhook(`entities/counter/${json}?op=add`, jsonPost('5'))).status).toBe(202);
    expect((await entityState('counter', json)).body).toBe(5);
    expect((await webhook(`entities/counter/${json}?op=add`, jsonPost('{bad'))).status).toBe(400);
  });

  test('entities are listed (by name, with state on request) and DELETE deletes one', async () => {
    const key = `list${Date.now()}`;
    await webhook(`entities/counter/${key}?op=add`, jsonPost('7'));
    expect((await entityState('counter', key)).body).toBe(7);
    const listed = await webhook('entities/counter?fetchState=true');
    expect(listed.status).toBe(200);
    const entities = (await listed.json()) as { entityId: { name: string; key: string }; lastOperationTime: string; state?: unknown }[];
    const mine = entities.find((e) => e.entityId.key === key);
    expect(mine).toMatchObject({ entityId: { name: 'counter', key }, state: 7 });
    expect(mine?.lastOperationTime).toMatch(wholeSecond);
    const all = (await (await webhook('entities')).json()) as { entityId: { key: string }; state?: unknown }[];
    expect(all.find((e) => e.entityId.key === key)).toEqual({
      entityId: { name: 'counter', key },
      lastOperationTime: mine?.lastOperationTime,
    });
    expect((await webhook(`entities/counter/${key}`, { method: 'DELETE' })).status).toBe(202);
    const deadline = Date.now() + 10_000;
    while ((await webhook(`entities/counter/${key}`)).status !== 404) {
      if (Date.now() > deadline) throw new Error('the entity was not deleted');
      await new Promise((r) => setTimeout(r, 50));
    }
    const after = (await (await webhook('entities/counter')).json()) as { entityId: { key: string } }[];
    expect(after.map((e) => e.entityId.key)).not.toContain(key);
  });

  test('purge without a filter is a 400 asking for createdTimeFrom, and deletes nothing', async () => {
    const id = await startOrchestration(host, 'chain');
    await waitForStatus(host, id);
    const res = await webhook('instances', { method: 'DELETE' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/createdTimeFrom/);
    expect((await getStatus(host, id)).http).toBe(200);
  });

  test('queries show the input unless showInput=false; unknown runtimeStatus values are ignored', async () => {
    const from = new Date(Date.now() - 1000).toISOString();
    const id = await startOrchestration(host, 'chain', { hello: 'input' });
    await waitForStatus(host, id);
    const list = async (query: string): Promise<{ instanceId: string; input: unknown }[]> => {
      const res = await webhook(`instances?createdTimeFrom=${from}${query}`);
      expect(res.status).toBe(200);
      return (await res.json()) as { instanceId: string; input: unknown }[];
    };
    expect((await list('')).find((s) => s.instanceId === id)?.input).toEqual({ hello: 'input' });
    expect((await list('&showInput=false')).find((s) => s.instanceId === id)?.input).toBeNull();
    expect((await list('&runtimeStatus=Completed,Bogus')).map((s) => s.instanceId)).toContain(id);
    expect((await list('&runtimeStatus=Bogus')).map((s) => s.instanceId)).toContain(id);
    expect((await getStatus(host, id)).status?.input).toEqual({ hello: 'input' });
  });

  test("a failed orchestration's output is the message, without a stack trace", async () => {
    const id = await startOrchestration(host, 'failing');
    const status = await waitForStatus(host, id, undefined, 30_000, '&showHistory=true');
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.output).toBe("Orchestrator function 'failing' failed: orchestrator exploded");
    expect(JSON.stringify(status.output)).not.toMatch(/\n\s+at /);
  });

  test('purging a running instance and rewinding one that has not failed answer 412, as the extension does', async () => {
    const id = await startOrchestration(host, 'waiter');
    await waitForStatus(host, id, ['Running']);
    expect((await webhook(`instances/${id}`, { method: 'DELETE' })).status).toBe(412);
    expect((await postWebhook(host, `instances/${id}/rewind?reason=x`)).status).toBe(412);
    await postWebhook(host, `instances/${id}/terminate?reason=cleanup`);
  });

  test('malformed query parameters and continuation tokens are 400s, never 500s', async () => {
    for (const query of ['top=abc', 'top=-1', 'top=1e9', 'createdTimeFrom=yesterday', 'createdTimeTo=%00', 'createdTimeTo=9999-99-99']) {
      const res = await webhook(`instances?${query}`);
      expect(`${query} ${res.status}`).toBe(`${query} 400`);
    }
    for (const prefix of ['%00', 'a'.repeat(3000), encodeURIComponent('../\u202e')]) {
      const res = await webhook(`instances?instanceIdPrefix=${prefix}`);
      expect(`${prefix.slice(0, 20)} ${res.status}`).toBe(`${prefix.slice(0, 20)} 200`);
    }
    const tokenAnswers: string[] = [];
    for (const token of ['not-a-token', 'eyJub3QiOiJ2YWxpZCJ9', '%%%', 'x'.repeat(5000)]) {
      const res = await webhook('instances', { headers: { 'x-ms-continuation-token': token } });
      tokenAnswers.push(`${token.slice(0, 20)} ${res.status}`);
    }
    expect(tokenAnswers.filter((answer) => !/ (200|400)$/.test(answer))).toEqual([]);
    expect((await webhook('entities?top=zero')).status).toBe(400);
  });

  test('instance ids the extension refuses are a 400 at start and a 404 elsewhere, never a storage error', async () => {
    const long = 'i'.repeat(300);
    expect((await webhook(`orchestrators/chain/${long}`, { method: 'POST' })).status).toBe(400);
    expect((await webhook(`orchestrators/chain/${encodeURIComponent('a#b')}`, { method: 'POST' })).status).toBe(400);
    expect((await webhook(`orchestrators/chain/${encodeURIComponent('a\u0001b')}`, { method: 'POST' })).status).toBe(400);
    expect((await webhook(`instances/${long}`)).status).toBe(404);
    expect((await webhook(`instances/${long}/terminate`, { method: 'POST' })).status).toBe(404);
    expect((await webhook(`entities/counter/${'k'.repeat(2000)}`)).status).toBe(404);
  });
});
