import { HDInsightManagementClient } from '@azure/arm-hdinsight';
import { BlobServiceClient } from '@azure/storage-blob';
import { AzureBlobStore } from '../../shared/adapters/azure/azureBlobStore';
import { armClientOptions } from '../../shared/adapters/azure/azureCredential';
import { azureAccess, hdinsightComputeTarget } from '../../shared/composition';
import { LivyClient, toBatchState } from '../../shared/adapters/azure/livyClient';
import { loadConfig } from '../../shared/config';
import { AzureFakes, fakeResourceGroup, startAzureFakes } from '../support/azureFakes';
import { fakeHttps } from '../support/fakeHttps';
import { testAppSettings, testEndpoints } from '../support/testStack';

// Livy's batch API as the fake serves it and the client reads it: 201 + Location, state transitions, log paging,
// 404, 400 without X-Requested-By or for a duplicate name, 401 without the gateway credentials.
const data = new AzureBlobStore(BlobServiceClient.fromConnectionString(testEndpoints.storageConnectionString));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const call = fakeHttps;

describe('Livy on HDInsight (fake) and the Livy client', () => {
  let fakes: AzureFakes;
  let livy: LivyClient;
  let batches: string;
  let auth: string;
  let job: { file: string; pyFiles: string[]; args: string[] };

  beforeAll(async () => {
    fakes = await startAzureFakes({ runner: 'recorded', provisionMs: 100 });
    const cfg = loadConfig({ ...testAppSettings(), ...fakes.env });
    const sdk = new HDInsightManagementClient(
      azureAccess(fakes.azure).credential,
      fakes.azure.subscriptionId,
      armClientOptions(fakes.azure.armEndpoint, azureAccess(fakes.azure)),
    );
    const target = hdinsightComputeTarget(cfg, fakes.azure, data);
    await target.beginCreateCluster({
      name: 'canopy-livy',
      headVmSize: 'Standard_D12_v2',
      workerVmSize: 'Standard_D4_v2',
      workerNodes: 1,
      tags: { 'canopy-instance': 'x' },
    });
    await sdk.clusters.get(fakeResourceGroup, 'canopy-livy');
    await sleep(200);
    const password = fakes.env.CANOPY_HDINSIGHT_GATEWAY_PASSWORD;
    auth = `Basic ${Buffer.from(`canopy:${password}`).toString('base64')}`;
    batches = `${fakes.livy.endpoint.replace('{cluster}', 'canopy-livy')}/batches`;
    livy = new LivyClient({
      baseUrl: fakes.livy.endpoint.replace('{cluster}', 'canopy-livy'),
      username: 'canopy',
      password: async () => password,
      agent: azureAccess(fakes.azure).agent,
    });
    // A real submission stages the jobs bundle; reuse its Livy body for the raw requests below.
    await data.ensureContainer('contract-livy');
    await data.create({ container: 'contract-livy', name: 'in/train/a/1.png' }, 'x');
    const { batchId } = await target.submitBatch('canopy-livy', {
      name: 'staged',
      job: 'workload_train',
      input: { container: 'contract-livy', prefix: 'in/' },
      output: { container: 'contract-livy', prefix: 'out/' },
      args: [],
    });
    job = fakes.livy.requests.find((r) => r.method === 'POST')?.body as typeof job;
    expect(batchId).toBe('0');
  });
  afterAll(() => fakes?.close());

  it('answers 401 without or with wrong gateway credentials, and 400 to a write without X-Requested-By', async () => {
    expect((await call(batches, 'GET', {})).status).toBe(401);
    const wrong = await call(batches, 'GET', { authorization: `Basic ${Buffer.from('canopy:nope').toString('base64')}` });
    expect([wrong.status, wrong.headers['www-authenticate']]).toEqual([401, 'Basic realm="HDInsight"']);
    const csrf = await call(batches, 'POST', { authorization: auth, 'content-type': 'application/json' }, job);
    expect([csrf.status, csrf.body.msg]).toEqual([400, 'Missing Required Header for CSRF protection.']);
    expect((await call(`${batches}/0`, 'DELETE', { authorization: auth })).status).toBe(400);
  });

  it('creates a batch with 201 and Location, walks starting → running → success, refuses a duplicate live name', async () => {
    const headers = { authorization: auth, 'x-requested-by': 'test', 'content-type': 'application/json' };
    const created = await call(batches, 'POST', headers, { ...job, name: 'raw-1' });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(`/batches/${created.body.id}`);
    expect(created.body).toMatchObject({ name: 'raw-1', state: 'starting' });
    const duplicate = await call(batches, 'POST', headers, { ...job, name: 'raw-1' });
    expect([duplicate.status, duplicate.body.msg]).toEqual([400, 'Duplicate session name: raw-1']);
    const states = new Set<string>();
    for (let i = 0; i < 40 && !states.has('success'); i++) {
      states.add((await call(`${batches}/${created.body.id}/state`, 'GET', headers)).body.state);
      await sleep(50);
    }
    expect([...states]).toEqual(expect.arrayContaining(['starting', 'running', 'success']));
    expect((await livy.list()).map((b) => b.name)).toEqual([expect.stringMatching(/^staged-/), 'raw-1']);
  });

  it('pages a dead batch log with from and size, 404s an unknown batch, and kills with DELETE', async () => {
    fakes.recorded?.next({ startingMs: 0, runningMs: 0, ends: 'dead', log: ['line 1', 'line 2', 'line 3', 'Traceback: boom'] });
    const dead = await livy.submit({ ...job, name: 'raw-dead' });
    await sleep(20);
    expect(toBatchState((await livy.get(dead.id))?.state ?? '')).toBe('dead');
    const headers = { authorization: auth };
    // Livy 0.7's log: `stdout: `, stdout lines, `\nstderr: `, stderr lines, `\nYARN Diagnostics: `; the page has no `size`.
    const page = await call(`${batches}/${dead.id}/log?from=2&size=2`, 'GET', headers);
    expect(page.body).toEqual({ id: dead.id, from: 2, total: 7, log: ['line 1', 'line 2'] });
    expect(await livy.logTail(dead.id, 2)).toEqual(['Traceback: boom', '\nYARN Diagnostics: ']);
    expect((await call(`${batches}/999`, 'GET', headers)).status).toBe(404);
    expect(await livy.get(999)).toBeUndefined();

    const running = await livy.submit({ ...job, name: 'raw-kill' });
    await livy.delete(running.id);
    // Livy forgets a batch at once after DELETE.
    expect(await livy.get(running.id)).toBeUndefined();
    await livy.delete(999);
  });

  it('maps every Livy state onto the port', () => {
    const states = [
      'not_started',
      'starting',
      'recovering',
      'idle',
      'running',
      'busy',
      'shutting_down',
      'killed',
      'error',
      'dead',
      'success',
    ];
    expect(states.map(toBatchState)).toEqual([
      'starting',
      'starting',
      'starting',
      'running',
      'running',
      'running',
      'killed',
      'killed',
      'dead',
      'dead',
      'success',
    ]);
  });
});
