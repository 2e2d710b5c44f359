import https from 'node:https';
import { LivyFake } from '../../devhost/azureFakes/livyFake';
import { LivyJob, LivyRunner } from '../../devhost/azureFakes/livyRunners';
import { LivyClient } from '../../shared/adapters/azure/livyClient';
import { BlobStore } from '../../shared/ports/blobStore';
import { BatchStatus } from '../../shared/ports/computeTarget';
import { fakeHttps } from '../support/fakeHttps';

// What Livy 0.7 refuses or forgets, as the Livy fake answers it: a finished batch is gone (404) after
// livy.server.session.state-retain.sec, whether or not it was polled, and at once after DELETE; logs page as Livy does.
const cluster = 'canopy-livy-rules';
const gateway = { username: 'canopy', password: 'Fake-Passw0rd!' };
const abfs = (name: string) => `abfs://clusters@canopyclusters.dfs.core.windows.net/${name}`;
const body = (name: string) => ({
  name,
  file: abfs('jobs/h/workload_train.py'),
  pyFiles: [abfs('jobs/h/canopy_jobs.zip')],
  args: ['--input', abfs('in/'), '--output', abfs(`out/${name}/`)],
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Batches end when the test says so. */
class ScriptedRunner implements LivyRunner {
  readonly statuses = new Map<string, BatchStatus>();
  async start(job: LivyJob): Promise<void> {
    this.statuses.set(job.key, { state: 'running' });
  }
  async status(job: LivyJob): Promise<BatchStatus> {
    return this.statuses.get(job.key) ?? { state: 'starting' };
  }
  async kill(job: LivyJob): Promise<void> {
    this.statuses.set(job.key, { state: 'killed' });
  }
}

// Every staged file exists: these tests are about batches, not staging.
const everyFileExists = new Proxy({} as BlobStore, { get: () => async () => ({ size: 1 }) });

describe('Livy batches as Livy 0.7 keeps and forgets them', () => {
  const runner = new ScriptedRunner();
  let fake: LivyFake;
  let livy: LivyClient;
  let base: string;
  const auth = { authorization: `Basic ${Buffer.from(`${gateway.username}:${gateway.password}`).toString('base64')}` };

  beforeAll(async () => {
    fake = await new LivyFake({
      gateway: (name) => (name === cluster ? gateway : undefined),
      runner,
      storage: everyFileExists,
      account: 'canopyclusters',
    }).listen();
    base = fake.endpoint.replace('{cluster}', cluster);
    livy = new LivyClient({
      baseUrl: base,
      username: gateway.username,
      password: async () => gateway.password,
      agent: new https.Agent({ rejectUnauthorized: false }),
    });
  });
  afterAll(() => fake.close());
  afterEach(() => fake.retainFinishedBatchesFor(600_000));

  it('keeps a finished batch for the default 600 s and a running one for ever', async () => {
    const done = await livy.submit(body('kept'));
    runner.statuses.set(String(done.id), { state: 'success' });
    expect((await livy.get(done.id))?.state).toBe('success');
    expect((await livy.get(done.id))?.state).toBe('success');
    const running = await livy.submit(body('running'));
    fake.retainFinishedBatchesFor(0);
    expect((await livy.get(running.id))?.state).toBe('running');
    expect(await livy.get(done.id)).toBeUndefined();
  });

  it('forgets a finished batch once the retain time has passed since it ended: the next poll gets 404', async () => {
    fake.retainFinishedBatchesFor(200);
    const batch = await livy.submit(body('polled'));
    runner.statuses.set(String(batch.id), { state: 'success' });
    expect((await livy.get(batch.id))?.state).toBe('success');
    await sleep(300);
    expect((await fakeHttps(`${base}/batches/${batch.id}`, 'GET', auth)).status).toBe(404);
    expect((await livy.list()).map((b) => b.id)).not.toContain(batch.id);
  });

  it('counts the retain time from the end, not from the last poll: an unpolled batch is forgotten too', async () => {
    fake.retainFinishedBatchesFor(200);
    const batch = await livy.submit(body('unpolled'));
    runner.statuses.set(String(batch.id), { state: 'dead', log: 'Traceback: boom' });
    await sleep(1500);
    expect(await livy.get(batch.id)).toBeUndefined();
  });

  it('forgets a batch at once after DELETE: GET and a second DELETE answer 404, and ids are not reused', async () => {
    const batch = await livy.submit(body('deleted'));
    const deleted = await fakeHttps(`${base}/batches/${batch.id}`, 'DELETE', { ...auth, 'x-requested-by': 'canopy' });
    expect(deleted).toMatchObject({ status: 200, body: { msg: 'deleted' } });
    expect(await fakeHttps(`${base}/batches/${batch.id}`, 'GET', auth)).toMatchObject({
      status: 404,
      body: { msg: `Session '${batch.id}' not found.` },
    });
    expect((await fakeHttps(`${base}/batches/${batch.id}`, 'DELETE', { ...auth, 'x-requested-by': 'canopy' })).status).toBe(404);
    expect((await livy.submit(body('after-delete'))).id).toBeGreaterThan(batch.id);
  });

  it('answers logs as Livy 0.7: { id, from, total, log }, the last 100 lines by default, all with a negative size', async () => {
    const batch = await livy.submit(body('logged'));
    runner.statuses.set(String(batch.id), { state: 'dead', log: 'line a\nline b\nTraceback: boom' });
    const lines = ['stdout: ', '\nstderr: ', 'line a', 'line b', 'Traceback: boom', '\nYARN Diagnostics: '];
    expect((await fakeHttps(`${base}/batches/${batch.id}/log`, 'GET', auth)).body).toEqual({ id: batch.id, from: 0, total: 6, log: lines });
    expect((await fakeHttps(`${base}/batches/${batch.id}/log?size=2`, 'GET', auth)).body).toEqual({
      id: batch.id,
      from: 4,
      total: 6,
      log: lines.slice(4),
    });
    expect((await fakeHttps(`${base}/batches/${batch.id}/log?from=1&size=-1`, 'GET', auth)).body).toEqual({
      id: batch.id,
      from: 1,
      total: 6,
      log: lines.slice(1),
    });
  });
});
