// npm run bench:crash-matrix — kill-point harness. Runs a three-candidate image pipeline on the local stack again and
// again, SIGKILLs the Functions host alone or the whole stack (host, Azurite, Cosmos DB emulator) at a chosen point
// (a stage, just after a batch folder appears, mid-training, as a candidate finishes, while a model server starts,
// during teardown) or at a random time, restarts on the same state, and checks the outcome: the run completed with
// every candidate succeeded, no batch started twice, no process or cluster left behind, and its time outside Spark
// (wall minus the batches' span) within one poll interval plus the restart time of that of an undisturbed run.
// Undisturbed runs come first, in the middle and last. Writes bench/results/crash-matrix.json.
// BENCH_CRASH_KILLS=name,name limits the matrix to those kills (result: crash-matrix-subset.json).
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { BlobServiceClient } = require('@azure/storage-blob');
const { CrashStack } = require('./lib/crashStack');

const root = path.resolve(__dirname, '..');
const { clusterName } = require(path.join(root, 'dist/shared/domain/naming.js'));
const { demoSpec } = require(path.join(root, 'dist/devhost/demoSpec.js'));
const fraction = process.env.BENCH_SAMPLE_FRACTION ?? '0.01';
const pollSeconds = 3;
const downtimeMs = 2000;
const ports = { blob: 25100, queue: 25101, table: 25102, cosmos: 25181, functions: 25171 };

// The demo's spec with smaller fits, so that two dozen runs fit in half an hour on two cores.
const spec = (name) => ({
  ...demoSpec,
  name,
  description: 'crash matrix run',
  data: { source: { container: 'canopy-landing', prefix: `${name}/` } },
  candidates: {
    ...demoSpec.candidates,
    classifiers: [
      { type: 'logistic_regression', grid: { regParam: [0.01], maxIter: [100] } },
      { type: 'random_forest', grid: { numTrees: [30], maxDepth: [8] } },
      { type: 'linear_svm', grid: { regParam: [0.01], maxIter: [30] } },
    ],
  },
});

/** Where to kill: a predicate over what the run shows (its view and its folders), checked every 50 ms. */
const points = {
  provision: (s) => s.stage === 'provision' || s.clusterCreated,
  copy: (s) => s.stage === 'copy',
  'batch-folder': (s) => s.batchFolders > 0,
  training: (s) => s.batchStartedFor >= 8,
  'candidate-done': (s) => s.candidatesDone > 0,
  select: (s) => ['select', 'register'].includes(s.stage),
  deploy: (s) => s.stage === 'deploy',
  'model-server': (s) => s.modelServers > 0,
  teardown: (s) => s.stage === 'teardown',
};

function matrix() {
  const kills = [];
  for (const variant of ['host', 'stack']) {
    for (const point of Object.keys(points)) kills.push({ name: `${variant}@${point}`, variant, point });
    for (let i = 1; i <= 2; i++) kills.push({ name: `${variant}@random-${i}`, variant, point: 'random' });
  }
  const only = process.env.BENCH_CRASH_KILLS?.split(',');
  return only ? kills.filter((k) => only.includes(k.name)) : kills;
}

function processes() {
  const found = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      found.push({ pid: Number(pid), cmdline: fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ') });
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

function modelServersOf(name) {
  return processes().filter(({ pid, cmdline }) => {
    if (!cmdline.includes('dist/scoring/main.js')) return false;
    try {
      return fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`MODEL_NAME=${name}`);
    } catch {
      return false;
    }
  });
}

function readLines(file) {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
}

class Matrix {
  constructor() {
    this.stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-crash-matrix-'));
    this.stack = new CrashStack(this.stateDir, ports);
    this.dataset = path.join(root, '.canopy', 'demo-data', `fashion-mnist-${fraction}`);
  }

  prepare() {
    execFileSync('bash', ['jobs/setup.sh'], { cwd: root, stdio: 'inherit' });
    if (fs.existsSync(path.join(this.dataset, '.complete'))) return;
    fs.rmSync(this.dataset, { recursive: true, force: true });
    execFileSync(
      path.join(root, 'jobs/.venv/bin/python'),
      ['jobs/import_fashion_mnist.py', '--output', this.dataset, '--sample-fraction', fraction],
      { cwd: root, stdio: 'inherit' },
    );
    fs.writeFileSync(path.join(this.dataset, '.complete'), new Date().toISOString());
  }

  async upload(name) {
    const blobs = BlobServiceClient.fromConnectionString(this.stack.endpoints.storageConnectionString);
    const container = blobs.getContainerClient('canopy-landing');
    await container.createIfNotExists();
    const files = fs.readdirSync(this.dataset, { recursive: true }).filter((f) => fs.statSync(path.join(this.dataset, f)).isFile());
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < files.length) {
          const file = files[next++];
          if (path.basename(file).startsWith('.')) continue;
          await container.getBlockBlobClient(`${name}/${file.split(path.sep).join('/')}`).uploadFile(path.join(this.dataset, file));
        }
      }),
    );
  }

  clusterDir(instanceId) {
    return path.join(this.stateDir, 'compute', clusterName(instanceId));
  }

  /** What the kill predicates look at: the run's stage and candidates from the API, batch folders and scorers from disk. */
  async situation(name, instanceId) {
    const view = await this.stack.api('GET', `pipelines/${name}/runs/${instanceId}`).catch(() => undefined);
    const status = view?.body?.orchestration?.customStatus;
    const batches = path.join(this.clusterDir(instanceId), 'batches');
    const folders = fs.existsSync(batches) ? fs.readdirSync(batches).filter((f) => !f.startsWith('.')) : [];
    const started = folders.map((f) => path.join(batches, f, 'batch.json')).filter((f) => fs.existsSync(f));
    const firstStart = Math.min(...started.map((f) => fs.statSync(f).mtimeMs));
    return {
      clusterCreated: fs.existsSync(path.join(this.clusterDir(instanceId), 'cluster.json')),
      stage: status?.stage,
      runtimeStatus: view?.body?.orchestration?.runtimeStatus,
      candidatesDone: (status?.candidates?.done ?? 0) + (status?.candidates?.failed ?? 0),
      batchFolders: folders.length,
      batchStartedFor: started.length ? (Date.now() - firstStart) / 1000 : 0,
      modelServers: modelServersOf(name).length,
    };
  }

  async waitForEnd(name, instanceId) {
    for (;;) {
      const view = await this.stack.api('GET', `pipelines/${name}/runs/${instanceId}`).catch(() => undefined);
      const o = view?.body?.orchestration;
      if (o && ['Completed', 'Failed', 'Terminated'].includes(o.runtimeStatus)) return view.body;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async runOnce(name, kill, baselineSeconds) {
    await this.upload(name);
    const started = Date.now();
    const answer = await this.stack.api('POST', 'runs', { spec: spec(name) });
    if (answer.status !== 202) throw new Error(`POST /api/runs answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    const { instanceId } = answer.body;
    let killed;
    if (kill) {
      const randomAt = started + Math.random() * baselineSeconds * 1000;
      for (;;) {
        const now = await this.situation(name, instanceId);
        const due = kill.point === 'random' ? Date.now() >= randomAt : points[kill.point](now);
        if (due) {
          const killedAt = Date.now();
          await (kill.variant === 'host' ? this.stack.killHost() : this.stack.killAll());
          await new Promise((r) => setTimeout(r, downtimeMs));
          if (kill.variant === 'stack') await this.stack.startStack();
          await this.stack.startHost();
          killed = { atSeconds: (killedAt - started) / 1000, stage: now.stage, restartSeconds: (Date.now() - killedAt) / 1000 };
          break;
        }
        if (now.runtimeStatus && ['Completed', 'Failed', 'Terminated'].includes(now.runtimeStatus)) {
          killed = { missed: `the run ended before ${kill.point}` };
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const view = await this.waitForEnd(name, instanceId);
    const wallSeconds = (Date.now() - started) / 1000;
    const staleIndex = await this.listedAsRunning(instanceId);
    const output = view.orchestration.output ?? {};
    const result = { name, instanceId, wallSeconds: Math.round(wallSeconds * 10) / 10, ...this.audit(name, instanceId, view) };
    result.overheadSeconds = Math.round((result.wallSeconds - result.sparkSeconds) * 10) / 10;
    result.runtimeStatus = view.orchestration.runtimeStatus;
    result.staleIndex = staleIndex;
    result.pipelineStatus = output.pipelineStatus;
    if (kill) Object.assign(result, { kill: kill.name, variant: kill.variant, point: kill.point, ...killed });
    this.stopModelServers(name);
    return result;
  }

  /** Duplicates, orphans and leaks, from what exists after the run, after one reaper pass. */
  audit(name, instanceId, view) {
    const batches = path.join(this.clusterDir(instanceId), 'batches');
    const folders = fs.existsSync(batches) ? fs.readdirSync(batches).filter((f) => !f.startsWith('.')) : [];
    const launchLines = folders.map((f) => readLines(path.join(batches, f, 'launches')));
    const launches = launchLines.map((lines) => lines.length);
    const firstLaunch = Math.min(...launchLines.flat().map((line) => Date.parse(line.split(' ')[0])));
    const exits = folders.map((f) => path.join(batches, f, 'exitcode')).filter((f) => fs.existsSync(f));
    const lastExit = Math.max(...exits.map((f) => fs.statSync(f).mtimeMs));
    const candidateLines = folders.flatMap((f) =>
      readLines(path.join(batches, f, 'job.log')).filter((l) => /^(image|workload)_train: \S+ accuracy/.test(l)),
    );
    const cluster = JSON.parse(fs.readFileSync(path.join(this.clusterDir(instanceId), 'cluster.json'), 'utf8'));
    const sparkLeft = processes().filter(({ cmdline }) => cmdline.includes(this.clusterDir(instanceId))).length;
    const servers = modelServersOf(name).length;
    const deployed = view.orchestration.output?.deployed ? 1 : 0;
    const candidates = view.candidates ?? [];
    return {
      candidates: candidates.length,
      candidatesSucceeded: candidates.filter((c) => c.status === 'succeeded').length,
      failures: candidates
        .filter((c) => c.status !== 'succeeded')
        .map((c) => `${c.candidateId}: ${c.status} ${c.error?.code ?? ''} ${c.error?.message ?? ''}`.trim()),
      batchStarts: launches.reduce((a, b) => a + b, 0),
      sparkSeconds: exits.length ? Math.round((lastExit - firstLaunch) / 100) / 10 : 0,
      duplicates: launches.reduce((a, n) => a + Math.max(0, n - 1), 0) + Math.max(0, candidateLines.length - candidates.length),
      orphans: sparkLeft + Math.max(0, servers - deployed),
      leakedResources: (cluster.state === 'deleted' ? 0 : 1) + sparkLeft + Math.max(0, servers - deployed),
    };
  }

  /** Whether the instances index (what status queries list) still says Running for a finished instance. */
  async listedAsRunning(instanceId) {
    const url = `${this.stack.baseUrl}/runtime/webhooks/durabletask/instances?runtimeStatus=Running,Pending&code=${this.stack.keys.masterKey}`;
    const listed = await fetch(url).then((r) => r.json());
    return listed.some((i) => i.instanceId === instanceId);
  }

  stopModelServers(name) {
    for (const { pid } of modelServersOf(name)) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // Gone.
      }
    }
  }

  async reap() {
    await this.stack.api('POST', 'maintenance/reap', undefined, this.stack.keys.masterKey).catch(() => undefined);
  }
}

async function main() {
  const m = new Matrix();
  m.prepare();
  const loadBefore = os.loadavg();
  // The stack and the host run in process groups of their own: an interrupted matrix stops them too.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void m.stack.stop().finally(() => process.exit(130)));
  await m.stack.startStack();
  await m.stack.startHost();
  const results = [];
  try {
    const baselines = [await m.runOnce('crash-baseline-1', undefined, 0)];
    console.log(JSON.stringify(baselines[0]));
    if (baselines[0].pipelineStatus !== 'succeeded') throw new Error('the undisturbed run did not succeed: nothing to compare with');
    const kills = matrix();
    for (const [i, kill] of kills.entries()) {
      if (i === Math.floor(kills.length / 2)) {
        baselines.push(await m.runOnce('crash-baseline-2', undefined, 0));
        console.log(JSON.stringify(baselines.at(-1)));
      }
      const baseline = baselines.reduce((a, b) => a + b.wallSeconds, 0) / baselines.length;
      const result = await m.runOnce(`crash-${i + 1}`, kill, baseline);
      console.log(JSON.stringify(result));
      results.push(result);
    }
    baselines.push(await m.runOnce('crash-baseline-3', undefined, 0));
    console.log(JSON.stringify(baselines.at(-1)));
    await m.reap();
    // Spark's own time swings with the machine's load by more than a poll interval, and a crash of the host does not
    // touch it (the batch runs on): the comparison is on the time outside Spark, wall minus the batches' span.
    const baselineOverhead = Math.max(...baselines.map((b) => b.overheadSeconds));
    for (const r of results) {
      r.allowedOverheadSeconds =
        r.restartSeconds === undefined ? undefined : Math.round((baselineOverhead + pollSeconds + r.restartSeconds) * 10) / 10;
      r.withinAllowed = r.allowedOverheadSeconds === undefined ? undefined : r.overheadSeconds <= r.allowedOverheadSeconds;
      r.ok =
        r.runtimeStatus === 'Completed' &&
        r.pipelineStatus === 'succeeded' &&
        r.candidatesSucceeded === r.candidates &&
        r.duplicates === 0 &&
        !r.staleIndex &&
        r.orphans === 0 &&
        r.leakedResources === 0 &&
        r.withinAllowed !== false &&
        r.missed === undefined;
    }
    const summary = {
      benchmark: 'crash-matrix',
      date: new Date().toISOString(),
      command: 'npm run bench:crash-matrix',
      machine: {
        cores: os.cpus().length,
        loadAverageBefore: loadBefore.map((l) => Math.round(l * 100) / 100),
        loadAverageAfter: os.loadavg().map((l) => Math.round(l * 100) / 100),
      },
      pipeline: { sampleFraction: Number(fraction), candidates: 3, maxConcurrent: 2, pollSeconds, downtimeSeconds: downtimeMs / 1000 },
      undisturbedWallSeconds: baselines.map((b) => b.wallSeconds),
      undisturbedOverheadSeconds: baselines.map((b) => b.overheadSeconds),
      kills: results.length,
      variants: { host: results.filter((r) => r.variant === 'host').length, stack: results.filter((r) => r.variant === 'stack').length },
      stagesKilledIn: [...new Set(results.map((r) => r.stage).filter(Boolean))],
      allOk: results.every((r) => r.ok),
      totals: {
        completed: results.filter((r) => r.runtimeStatus === 'Completed' && r.pipelineStatus === 'succeeded').length,
        candidatesFailed: results.reduce((a, r) => a + (r.candidates - r.candidatesSucceeded), 0),
        duplicates: results.reduce((a, r) => a + r.duplicates, 0),
        orphans: results.reduce((a, r) => a + r.orphans, 0),
        leakedResources: results.reduce((a, r) => a + r.leakedResources, 0),
        overTime: results.filter((r) => r.withinAllowed === false).length,
        staleIndex: results.filter((r) => r.staleIndex).length,
      },
      baselines,
      results,
    };
    fs.mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
    // A chosen subset (BENCH_CRASH_KILLS) never overwrites the whole matrix's result.
    const file = process.env.BENCH_CRASH_KILLS ? 'crash-matrix-subset.json' : 'crash-matrix.json';
    fs.writeFileSync(path.join(root, 'bench', 'results', file), `${JSON.stringify(summary, null, 2)}\n`);
    console.log(JSON.stringify({ ...summary, results: undefined, baselines: undefined }, null, 2));
    process.exitCode = summary.allOk ? 0 : 1;
  } finally {
    await m.stack.stop();
  }
}

main().catch((err) => {
  console.error(`bench:crash-matrix: ${err.stack ?? err.message}`);
  process.exit(1);
});
