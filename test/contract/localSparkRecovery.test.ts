import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { AzureBlobStore } from '../../shared/adapters/azure/azureBlobStore';
import { LocalSparkComputeTarget } from '../../shared/adapters/local/localSparkComputeTarget';
import { BatchRequest } from '../../shared/ports/computeTarget';
import { repoRoot } from '../support/canopyUnderTest';
import { testEndpoints } from '../support/testStack';

// How the local compute target recovers a batch whose submitter (the Functions host) died part-way, or whose uploaded
// outputs storage lost. The job is a scripted stand-in for spark-submit that logs each run: these tests are about
// folders, processes and uploads, and the crash matrix (bench/crashMatrix.js) runs the real jobs through the same paths.
jest.setTimeout(60_000);

const blobs = new AzureBlobStore(BlobServiceClient.fromConnectionString(testEndpoints.storageConnectionString));
const container = 'recovery-tests';

function scriptedJobs(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-scripted-jobs-'));
  fs.mkdirSync(path.join(dir, '.venv', 'bin'), { recursive: true });
  fs.writeFileSync(path.join(dir, '.venv', 'bin', 'spark-submit'), '');
  // Every run is logged; then the "job" writes its outputs as Spark would, `_SUCCESS` last.
  const script = `#!/bin/bash
echo "$*" >> "$(dirname "$0")/runs.log"
while [ $# -gt 0 ]; do [ "$1" = --output ] && out="\${2#file://}"; shift; done
sleep 1
mkdir -p "$out" && echo '{"accuracy": 0.5}' > "$out/metrics.json" && touch "$out/_SUCCESS"
`;
  fs.writeFileSync(path.join(dir, 'spark-submit.sh'), script, { mode: 0o755 });
  return dir;
}

function runsOf(jobsDir: string): string[] {
  const log = path.join(jobsDir, 'runs.log');
  return fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : [];
}

async function settled(target: LocalSparkComputeTarget, cluster: string, batch: string): Promise<string> {
  for (;;) {
    const status = await target.getBatch(cluster, batch);
    if (status && !['starting', 'running'].includes(status.state)) return status.state;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function waitForFile(file: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${file} did not appear`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('local Spark compute target: recovery after its submitter dies', () => {
  let rootDir: string;
  let jobsDir: string;
  let target: LocalSparkComputeTarget;
  let prefix: string;
  let request: BatchRequest;
  const cluster = 'recovery';

  beforeEach(async () => {
    rootDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-recovery-'));
    jobsDir = scriptedJobs();
    prefix = `run-${path.basename(rootDir)}/`;
    await blobs.ensureContainer(container);
    await blobs.create({ container, name: `${prefix}input/data.csv` }, 'a,b\n1,2\n');
    request = {
      name: 'candidate-1',
      job: 'workload_train',
      input: { container, prefix: `${prefix}input/` },
      output: { container, prefix: `${prefix}output/` },
      args: [],
    };
    target = new LocalSparkComputeTarget({ rootDir, jobsDir, modelsDir: rootDir, blobs });
    await target.beginCreateCluster({ name: cluster, headVmSize: 'local', workerVmSize: 'local', workerNodes: 0, tags: {} });
  });

  afterEach(() => {
    for (const dir of [rootDir, jobsDir]) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts, once, a batch whose submitter was killed after creating its folder and before starting it', async () => {
    // The submitter is a real process, killed with SIGKILL while it stages the input (its storage never answers).
    const submitter = spawn(
      process.execPath,
      [
        '-e',
        `const { LocalSparkComputeTarget } = require(${JSON.stringify(path.join(repoRoot, 'dist/shared/adapters/local/localSparkComputeTarget.js'))});
         const stalled = { list: () => new Promise(() => {}), ensureContainer: async () => {} };
         const target = new LocalSparkComputeTarget({ ...${JSON.stringify({ rootDir, jobsDir, modelsDir: rootDir })}, blobs: stalled });
         setInterval(() => {}, 1000);
         target.submitBatch(${JSON.stringify(cluster)}, ${JSON.stringify(request)});`,
      ],
      { stdio: 'inherit' },
    );
    const exited = new Promise((resolve) => submitter.once('exit', resolve));
    const batchDir = path.join(rootDir, cluster, 'batches', request.name);
    await waitForFile(path.join(batchDir, 'submission.json'));
    submitter.kill('SIGKILL');
    expect(await exited).toBeNull();
    expect(fs.existsSync(path.join(batchDir, 'batch.json'))).toBe(false);

    expect(await settled(target, cluster, request.name)).toBe('success');
    // A second submit (the activity retried after the restart) and more polls change nothing.
    await target.submitBatch(cluster, request);
    expect(await settled(target, cluster, request.name)).toBe('success');
    expect(runsOf(jobsDir)).toHaveLength(1);
    expect(await blobs.getInfo({ container, name: `${prefix}output/_SUCCESS` })).toBeDefined();
  });

  it('adopts a job that started although its record was never written, instead of starting another', async () => {
    await target.submitBatch(cluster, request);
    const batchDir = path.join(rootDir, cluster, 'batches', request.name);
    await waitForFile(path.join(batchDir, 'launched'));
    // The host died between spawning the job and recording it.
    fs.rmSync(path.join(batchDir, 'batch.json'));
    const restarted = new LocalSparkComputeTarget({ rootDir, jobsDir, modelsDir: rootDir, blobs });
    expect(await settled(restarted, cluster, request.name)).toBe('success');
    expect(runsOf(jobsDir)).toHaveLength(1);
  });

  it('never starts a batch that was killed before it started', async () => {
    const batchDir = path.join(rootDir, cluster, 'batches', request.name);
    fs.mkdirSync(batchDir, { recursive: true });
    fs.writeFileSync(
      path.join(batchDir, 'submission.json'),
      JSON.stringify({ request, owner: { pid: 2 ** 22 + 1 } }), // a pid no process has: the submitter is gone
    );
    await target.killBatch(cluster, request.name);
    expect(await target.getBatch(cluster, request.name)).toEqual({ state: 'killed' });
    await new Promise((r) => setTimeout(r, 1500));
    expect(runsOf(jobsDir)).toHaveLength(0);
  });

  it('uploads outputs again from the batch folder when storage lost them after acknowledging', async () => {
    await target.submitBatch(cluster, request);
    expect(await settled(target, cluster, request.name)).toBe('success');
    for (const file of ['_SUCCESS', 'metrics.json']) await blobs.delete({ container, name: `${prefix}output/${file}` });
    expect(await target.getBatch(cluster, request.name)).toEqual({ state: 'success' });
    expect((await blobs.get({ container, name: `${prefix}output/metrics.json` }))?.toString()).toContain('accuracy');
    expect(await blobs.getInfo({ container, name: `${prefix}output/_SUCCESS` })).toBeDefined();
    expect(runsOf(jobsDir)).toHaveLength(1);
  });
});
