import { DevhostProcess } from '../support/devhostProcess';
import { clientCall, getStatus, postWebhook, startDurableHost, startOrchestration, statusUrl, waitForStatus } from './durableHarness';

let host: DevhostProcess;

beforeAll(async () => {
  host = await startDurableHost();
});

afterAll(async () => {
  await host?.stop();
});

describe('Durable management: client API and HTTP API', () => {
  test('createCheckStatusResponse answers 202 with Location and Retry-After; status is 202 while running, 200 when done', async () => {
    const res = await fetch(`${host.baseUrl}/api/orchestrators/waiter`, { method: 'POST' });
    expect(res.status).toBe(202);
    const payload = (await res.json()) as Record<string, string>;
    expect(res.headers.get('location')).toBe(payload.statusQueryGetUri);
    expect(res.headers.get('retry-after')).toBe('10');
    expect(Object.keys(payload).sort()).toEqual(
      [
        'id',
        'purgeHistoryDeleteUri',
        'restartPostUri',
        'resumePostUri',
        'rewindPostUri',
        'sendEventPostUri',
        'statusQueryGetUri',
        'suspendPostUri',
        'terminatePostUri',
      ].sort(),
    );
    await waitForStatus(host, payload.id, ['Running']);
    const running = await fetch(payload.statusQueryGetUri);
    expect(running.status).toBe(202);
    expect(running.headers.get('location')).toBe(payload.statusQueryGetUri);
    const send = await fetch(payload.sendEventPostUri.replace('{eventName}', 'go'), {
      method: 'POST',
      body: JSON.stringify('web'),
      headers: { 'content-type': 'application/json' },
    });
    expect(send.status).toBe(202);
    await waitForStatus(host, payload.id);
    const done = await fetch(payload.statusQueryGetUri);
    expect(done.status).toBe(200);
    expect(((await done.json()) as { output: string }).output).toBe('Hello web!');
  });

  test('waitForCompletionOrCreateCheckStatusResponse returns the output of a quick instance', async () => {
    const res = await fetch(`${host.baseUrl}/api/orchestrators/chain?wait=10000`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(['Hello Tokyo!', 'Hello Seattle!', 'Hello London!']);
  });

  test('starting an id that is already running is refused; a finished id may be reused', async () => {
    const id = `dup-${Date.now()}`;
    await startOrchestration(host, 'waiter', undefined, id);
    await expect(startOrchestration(host, 'waiter', undefined, id)).rejects.toThrow(/409/);
    const direct = await postWebhook(host, `orchestrators/waiter/${id}`);
    expect(direct.status).toBe(409);
    await clientCall(host, 'terminate', { instanceId: id, reason: 'done' });
    await waitForStatus(host, id);
    await startOrchestration(host, 'chain', undefined, id);
    expect((await waitForStatus(host, id)).output).toEqual(['Hello Tokyo!', 'Hello Seattle!', 'Hello London!']);
  });

  test('terminate ends a running instance with the reason as output; events and terminate to it then answer 410', async () => {
    const id = await startOrchestration(host, 'waiter');
    await waitForStatus(host, id, ['Running']);
    expect((await clientCall(host, 'terminate', { instanceId: id, reason: 'no longer needed' })).status).toBe(202);
    const status = await waitForStatus(host, id);
    expect(status.runtimeStatus).toBe('Terminated');
    expect(status.output).toBe('no longer needed');
    expect((await postWebhook(host, `instances/${id}/raiseEvent/go`, '"late"')).status).toBe(410);
    expect((await postWebhook(host, `instances/${id}/terminate?reason=again`)).status).toBe(410);
    expect((await postWebhook(host, 'instances/nobody/terminate?reason=x')).status).toBe(404);
    expect((await postWebhook(host, 'instances/nobody/raiseEvent/go', '1')).status).toBe(404);
  });

  test('a bad JSON body is a 400; a missing key is a 401', async () => {
    const id = await startOrchestration(host, 'waiter');
    expect((await postWebhook(host, `instances/${id}/raiseEvent/go`, '{not json')).status).toBe(400);
    expect((await postWebhook(host, 'orchestrators/chain', '{nope')).status).toBe(400);
    expect((await fetch(`${host.baseUrl}/runtime/webhooks/durabletask/instances/${id}`)).status).toBe(401);
    await clientCall(host, 'terminate', { instanceId: id, reason: 'cleanup' });
  });

  test('suspend holds an instance (events wait), resume lets it finish', async () => {
    const id = await startOrchestration(host, 'waiter');
    await waitForStatus(host, id, ['Running']);
    expect((await clientCall(host, 'suspend', { instanceId: id, reason: 'hold on' })).status).toBe(202);
    await waitForStatus(host, id, ['Suspended']);
    await clientCall(host, 'raiseEvent', { instanceId: id, eventName: 'go', eventData: 'after resume' });
    await new Promise((r) => setTimeout(r, 300));
    expect((await getStatus(host, id)).status?.runtimeStatus).toBe('Suspended');
    expect((await clientCall(host, 'resume', { instanceId: id, reason: 'carry on' })).status).toBe(202);
    const status = await waitForStatus(host, id, undefined, 10_000, '&showHistory=true');
    expect(status.output).toBe('Hello after resume!');
    expect(status.historyEvents?.map((e) => e.EventType)).toEqual(expect.arrayContaining(['ExecutionSuspended', 'ExecutionResumed']));
  });

  test('purge deletes a finished instance; a running one is not purged (412)', async () => {
    const done = await startOrchestration(host, 'chain');
    await waitForStatus(host, done);
    expect((await clientCall(host, 'purge', { instanceId: done })).body).toEqual({ instancesDeleted: 1 });
    expect((await getStatus(host, done)).http).toBe(404);
    expect((await clientCall(host, 'purge', { instanceId: done })).body).toEqual({ instancesDeleted: 0 });
    const running = await startOrchestration(host, 'waiter');
    await waitForStatus(host, running, ['Running']);
    expect((await postWebhook(host, `instances/${running}`, undefined, 'DELETE')).status).toBe(412);
    expect((await getStatus(host, running)).status?.runtimeStatus).toBe('Running');
    await clientCall(host, 'terminate', { instanceId: running, reason: 'cleanup' });
  });

  test('getStatusBy filters by created time and status, across continuation pages; purgeInstanceHistoryBy', async () => {
    const from = new Date();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await startOrchestration(host, 'chain'));
    const waiting = await startOrchestration(host, 'waiter');
    for (const id of ids) await waitForStatus(host, id);
    await waitForStatus(host, waiting, ['Running']);
    const completed = (await clientCall(host, 'getStatusBy', { createdTimeFrom: from.toISOString(), runtimeStatus: ['Completed'] }))
      .body as { instanceId: string }[];
    expect(completed.map((s) => s.instanceId).sort()).toEqual([...ids].sort());
    const running = (await clientCall(host, 'getStatusBy', { createdTimeFrom: from.toISOString(), runtimeStatus: ['Running'] })).body as {
      instanceId: string;
    }[];
    expect(running.map((s) => s.instanceId)).toEqual([waiting]);
    const paged = await fetch(
      `${host.baseUrl}/runtime/webhooks/durabletask/instances?code=${host.masterKey}&top=2&createdTimeFrom=${from.toISOString()}`,
    );
    expect(paged.status).toBe(200);
    expect(((await paged.json()) as unknown[]).length).toBe(2);
    expect(paged.headers.get('x-ms-continuation-token')).toBeTruthy();
    const all = (await clientCall(host, 'getStatusAll')).body as { instanceId: string }[];
    expect(all.map((s) => s.instanceId)).toEqual(expect.arrayContaining([...ids, waiting]));
    const purged = (await clientCall(host, 'purgeBy', { createdTimeFrom: from.toISOString(), runtimeStatus: ['Completed'] })).body;
    expect(purged).toEqual({ instancesDeleted: 5 });
    expect((await getStatus(host, ids[0])).http).toBe(404);
    await clientCall(host, 'terminate', { instanceId: waiting, reason: 'cleanup' });
  });

  test('rewind of a failed instance runs the failed activity again', async () => {
    const id = await startOrchestration(host, 'rewindable');
    const failed = await waitForStatus(host, id);
    expect(failed.runtimeStatus).toBe('Failed');
    expect((await clientCall(host, 'rewind', { instanceId: id, reason: 'try again' })).status).toBe(202);
    const status = await waitForStatus(host, id);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toBe(2);
    const chain = await startOrchestration(host, 'chain');
    await waitForStatus(host, chain);
    expect((await postWebhook(host, `instances/${chain}/rewind?reason=x`)).status).toBe(412);
  });

  test('restart starts the instance again with the same input under a new id', async () => {
    const id = await startOrchestration(host, 'fanOut', 3);
    await waitForStatus(host, id);
    const res = await postWebhook(host, `instances/${id}/restart?restartWithNewInstanceId=true`);
    expect(res.status).toBe(202);
    const payload = (await res.json()) as { id: string };
    expect(payload.id).not.toBe(id);
    expect((await waitForStatus(host, payload.id)).output).toBe(12);
  });

  test('entities over the HTTP API: signal, then read', async () => {
    const key = `http${Date.now()}`;
    expect((await postWebhook(host, `entities/counter/${key}?op=add`, '3')).status).toBe(202);
    const deadline = Date.now() + 5000;
    let res: Response | undefined;
    while (Date.now() < deadline) {
      res = await fetch(`${host.baseUrl}/runtime/webhooks/durabletask/entities/counter/${key}?code=${host.masterKey}`);
      if (res.status === 200) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(res?.status).toBe(200);
    expect(await res?.json()).toBe(3);
    expect((await fetch(`${host.baseUrl}/runtime/webhooks/durabletask/entities/counter/nobody?code=${host.masterKey}`)).status).toBe(404);
  });

  test('an unknown orchestrator name is refused at start', async () => {
    const res = await postWebhook(host, 'orchestrators/noSuchOrchestrator');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/noSuchOrchestrator/);
    expect(statusUrl(host, 'x')).toContain('code=');
  });
});
