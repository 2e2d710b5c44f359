import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { LivyFake } from '../../devhost/azureFakes/livyFake';
import { LivyJob, LivyRunner } from '../../devhost/azureFakes/livyRunners';
import { AzureBlobStore } from '../../shared/adapters/azure/azureBlobStore';
import { createHdinsightComputeTarget } from '../../shared/adapters/azure/hdinsightFactory';
import { JobEnvironment, locateJobEnvironment } from '../../shared/adapters/azure/hdinsightJobBundle';
import { LivyBatchRequest, LivyClient } from '../../shared/adapters/azure/livyClient';
import { azureAccess } from '../../shared/composition';
import { AzureResourcesConfig } from '../../shared/config';
import { toCanopyError } from '../../shared/errors';
import { BlobRef, BlobStore } from '../../shared/ports/blobStore';
import { BatchRequest, BatchStatus } from '../../shared/ports/computeTarget';
import { AzureFakes, fakeClusterAccount, startAzureFakes } from '../support/azureFakes';
import { repoRoot } from '../support/canopyUnderTest';
import { testEndpoints } from '../support/testStack';

// The jobs' Python environment (jobs/pack_environment.py) travels with every Livy batch: `archives` with the
// `#canopyenv` alias and PYTHONPATH for the driver (cluster mode: the application master) and the executors, uploaded
// to the cluster storage once per hash. jobs/tests/test_cluster_environment.py proves the same fields run the jobs on
// Spark 3.3 under a bare Python 3.8; here, that the target sends them and the Livy fake reads them as Livy does.
const jobsDir = path.join(repoRoot, 'jobs');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const expectedConf = { 'spark.yarn.appMasterEnv.PYTHONPATH': './canopyenv', 'spark.executorEnv.PYTHONPATH': './canopyenv' };

/** The app's storage, counting what is written through it. */
function countingStore(store: BlobStore): { store: BlobStore; created: string[] } {
  const created: string[] = [];
  const counting: BlobStore = Object.create(store) as BlobStore;
  counting.create = (ref: BlobRef, content, options) => {
    created.push(ref.name);
    return store.create(ref, content, options);
  };
  return { store: counting, created };
}

describe('the jobs environment in HDInsight batches (fakes)', () => {
  const cluster = 'canopy-jobenv';
  const container = 'jobenv-data';
  const data = new AzureBlobStore(BlobServiceClient.fromConnectionString(testEndpoints.storageConnectionString));
  const counted = countingStore(data);
  const archiveContent = Buffer.from('a stand-in for canopyenv.tar.gz');
  const environment: JobEnvironment = {
    hash: '0123456789abcdef',
    archive: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-jobenv-')), 'canopyenv.tar.gz'),
  };
  let fakes: AzureFakes;

  const targetFor = (azure: AzureResourcesConfig, jobEnvironment?: JobEnvironment) =>
    createHdinsightComputeTarget({
      azure,
      access: azureAccess(fakes.azure),
      livyAgent: azureAccess(fakes.azure, fakes.azure.livyEndpoint.replace('{cluster}', 'cluster')).agent,
      gatewayPassword: async () => fakes.env.CANOPY_HDINSIGHT_GATEWAY_PASSWORD,
      data,
      clusterStorage: counted.store,
      jobsDir,
      modelsDir: path.join(repoRoot, '.canopy', 'models'),
      jobEnvironment,
    });
  const request = (name: string): BatchRequest => ({
    name,
    job: 'workload_train',
    input: { container, prefix: 'input/' },
    output: { container, prefix: `output/${name}/` },
    args: ['--classifier', 'logistic_regression'],
  });
  const submittedBodies = () =>
    fakes.livy.requests.filter((r) => r.method === 'POST' && r.status === 201).map((r) => r.body as LivyBatchRequest);

  beforeAll(async () => {
    fs.writeFileSync(environment.archive, archiveContent);
    fakes = await startAzureFakes({ runner: 'recorded', provisionMs: 100 });
    await data.ensureContainer(container);
    await data.create({ container, name: 'input/sessions.csv' }, 'a,b\n1,2\n');
    const target = targetFor(fakes.azure, environment);
    await target.beginCreateCluster({
      name: cluster,
      headVmSize: 'Standard_D12_v2',
      workerVmSize: 'Standard_D4_v2',
      workerNodes: 1,
      tags: { 'canopy-instance': 'jobenv' },
    });
    while ((await target.getCluster(cluster))?.state !== 'running') await sleep(100);
  });
  afterAll(async () => {
    await fakes?.close();
  });

  it('ships the archive as #canopyenv with PYTHONPATH for the driver and executors, uploaded once per hash', async () => {
    const target = targetFor(fakes.azure, environment);
    await target.submitBatch(cluster, request('env-first'));
    await targetFor(fakes.azure, environment).submitBatch(cluster, request('env-second'));

    const archiveName = `environments/${environment.hash}/canopyenv.tar.gz`;
    const archiveUri = `abfss://${fakes.azure.clusterStorage.container}@${fakeClusterAccount}.dfs.core.windows.net/${archiveName}`;
    const bodies = submittedBodies();
    expect(bodies).toHaveLength(2);
    for (const body of bodies) {
      expect(body.archives).toEqual([`${archiveUri}#canopyenv`]);
      expect(body.conf).toEqual(expectedConf);
    }
    expect(counted.created.filter((name) => name === archiveName)).toHaveLength(1);
    expect(await data.get({ container: fakes.azure.clusterStorage.container, name: archiveName })).toEqual(archiveContent);
    // The fake found the archive where the batch said: neither batch died at localization.
    expect((await fakes.livy.submitted(cluster)).map((b) => b.state)).not.toContain('dead');
  });

  it('in Azure, refuses a batch before submitting it when the environment was never packed', async () => {
    const before = submittedBodies().length;
    const unpacked: JobEnvironment = { hash: 'fedcba9876543210', archive: path.join(os.tmpdir(), 'canopy-absent', 'canopyenv.tar.gz') };
    const submit = targetFor({ ...fakes.azure, fakes: false }, unpacked).submitBatch(cluster, request('env-missing'));
    await expect(submit).rejects.toMatchObject({ code: 'COMPUTE.ENVIRONMENT_MISSING', transient: false });
    await expect(submit).rejects.toThrow(/pack_environment\.py/);
    expect(submittedBodies()).toHaveLength(before);
  });
});

describe('the environment archive key', () => {
  it('is the hash jobs/pack_environment.py files the archive under', () => {
    const python = path.join(jobsDir, '.venv', 'bin', 'python');
    const script = 'import sys; sys.path.insert(0, sys.argv[1]); import pack_environment as p; print(p.environment_hash(p.DEFAULT_LOCK))';
    const pythonHash = execFileSync(python, ['-c', script, jobsDir], { encoding: 'utf8' }).trim();
    const located = locateJobEnvironment(jobsDir);
    expect(located.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(located.hash).toBe(pythonHash);
    expect(located.archive).toBe(path.join(jobsDir, '.environment', pythonHash, 'canopyenv.tar.gz'));
  });
});

/** Batches stay running: these tests are about what Livy accepts. */
class StartedRunner implements LivyRunner {
  readonly started: string[] = [];
  async start(job: LivyJob): Promise<void> {
    this.started.push(job.key);
  }
  async status(): Promise<BatchStatus> {
    return { state: 'running' };
  }
  async kill(): Promise<void> {}
}

describe('the Livy fake reads archives and conf as Livy 0.7 does', () => {
  const cluster = 'canopy-livy-archives';
  const gateway = { username: 'canopy', password: 'Fake-Passw0rd!' };
  const abfs = (name: string) => `abfs://clusters@canopyclusters.dfs.core.windows.net/${name}`;
  const stored = new Set(['jobs/h/workload_train.py', 'jobs/h/canopy_jobs.zip', 'environments/e/canopyenv.tar.gz']);
  const storage = { getInfo: async (ref: BlobRef) => (stored.has(ref.name) ? { size: 1 } : undefined) } as unknown as BlobStore;
  const runner = new StartedRunner();
  let fake: LivyFake;
  let livy: LivyClient;
  const body = (name: string, extra: Record<string, unknown>) =>
    ({
      name,
      file: abfs('jobs/h/workload_train.py'),
      pyFiles: [abfs('jobs/h/canopy_jobs.zip')],
      args: ['--input', abfs('in/'), '--output', abfs(`out/${name}/`)],
      ...extra,
    }) as unknown as LivyBatchRequest;
  const refusal = async (request: LivyBatchRequest) => {
    const err = await livy.submit(request).then(
      () => undefined,
      (e: unknown) => toCanopyError(e),
    );
    expect(err?.code).toBe('LIVY.BAD_REQUEST');
    return err?.message ?? '';
  };

  beforeAll(async () => {
    fake = await new LivyFake({
      gateway: (name) => (name === cluster ? gateway : undefined),
      runner,
      storage,
      account: 'canopyclusters',
    }).listen();
    livy = new LivyClient({
      baseUrl: fake.endpoint.replace('{cluster}', cluster),
      username: gateway.username,
      password: async () => gateway.password,
      agent: new https.Agent({ rejectUnauthorized: false }),
    });
  });
  afterAll(() => fake.close());

  it('accepts an archive with its #alias and a map of string conf, and starts the batch', async () => {
    const batch = await livy.submit(
      body('accepted', { archives: [`${abfs('environments/e/canopyenv.tar.gz')}#canopyenv`], conf: expectedConf }),
    );
    expect(batch.state).not.toBe('dead');
    expect(runner.started).toContain(String(batch.id));
  });

  it('refuses archives that are not a list of strings and conf that is not a map of strings (400)', async () => {
    expect(await refusal(body('archives-string', { archives: abfs('environments/e/canopyenv.tar.gz') }))).toMatch(/archives/);
    expect(await refusal(body('archives-objects', { archives: [{ uri: abfs('environments/e/canopyenv.tar.gz') }] }))).toMatch(/archives/);
    expect(await refusal(body('conf-list', { conf: ['spark.executorEnv.PYTHONPATH=./canopyenv'] }))).toMatch(/conf/);
    expect(await refusal(body('conf-nested', { conf: { 'spark.executorEnv.PYTHONPATH': { path: './canopyenv' } } }))).toMatch(/conf/);
  });

  it("refuses conf keys of Livy's spark-blacklist.conf, naming them (400)", async () => {
    const message = await refusal(body('blacklisted', { conf: { 'spark.submit.deployMode': 'client', 'spark.executorEnv.A': 'b' } }));
    expect(message).toMatch(/Blacklisted configuration values in session config: spark\.submit\.deployMode/);
  });

  it('kills a batch whose archive is not in the cluster storage, naming the file as YARN does', async () => {
    const missing = abfs('environments/absent/canopyenv.tar.gz');
    const batch = await livy.submit(body('missing-archive', { archives: [`${missing}#canopyenv`] }));
    expect(batch.state).toBe('dead');
    expect((await livy.logTail(batch.id, 10)).join('\n')).toContain(`java.io.FileNotFoundException: ${missing} does not exist`);
    expect(runner.started).not.toContain(String(batch.id));
  });
});
