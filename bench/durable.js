// `npm run bench:durable`: throughput and restart latency of the devhost's Durable engine, with
// every checkpoint written to Azurite as in normal operation. Starts its own Azurite (and Cosmos
// emulator, which the stack always brings) on free ports, runs the fixture app in a devhost
// child, and writes bench/results/durable.json.
const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { freePort } = require('./lib/freePort');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const { startLocalStack } = require(path.join(root, 'dist', 'devhost', 'localStack', 'stack'));
const appDir = path.join(root, 'test', 'fixtures', 'durableApp');
const resultFile = path.join(root, 'bench', 'results', 'durable.json');
const repeats = 5;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function startHost(stack, hub, stateDir, functionsPort) {
  const child = spawn(process.execPath, [path.join(root, 'dist', 'devhost', 'main.js'), '--app', appDir], {
    env: {
      ...process.env,
      AzureWebJobsStorage: stack.storageConnectionString,
      CANOPY_STATE_DIR: stateDir,
      CANOPY_FUNCTIONS_PORT: String(functionsPort),
      DURABLE_HUB: hub,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const host = { child, output: '', baseUrl: `http://127.0.0.1:${functionsPort}` };
  child.stdout.on('data', (d) => (host.output += d));
  child.stderr.on('data', (d) => (host.output += d));
  return host;
}

async function waitReady(host) {
  for (let i = 0; i < 600; i++) {
    if (host.child.exitCode !== null) throw new Error(`devhost exited:\n${host.output}`);
    const ok = await fetch(`${host.baseUrl}/admin/host/status`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) {
      host.masterKey = JSON.parse(fs.readFileSync(path.join(host.stateDir, 'secrets', 'host.json'), 'utf8')).masterKey;
      return;
    }
    await sleep(50);
  }
  throw new Error(`devhost not ready:\n${host.output}`);
}

function stop(host, signal = 'SIGTERM') {
  if (host.child.exitCode !== null || host.child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    host.child.once('exit', resolve);
    host.child.kill(signal);
  });
}

async function start(host, name, input) {
  const res = await fetch(`${host.baseUrl}/runtime/webhooks/durabletask/orchestrators/${name}?code=${host.masterKey}`, {
    method: 'POST',
    body: JSON.stringify(input),
  });
  if (res.status !== 202) throw new Error(`start ${name}: ${res.status} ${await res.text()}`);
  return (await res.json()).id;
}

async function waitDone(host, id, query = '') {
  for (;;) {
    const res = await fetch(`${host.baseUrl}/runtime/webhooks/durabletask/instances/${id}?code=${host.masterKey}${query}`);
    const status = await res.json();
    if (status.runtimeStatus === 'Completed') return status;
    if (['Failed', 'Terminated'].includes(status.runtimeStatus)) throw new Error(`${id} ${status.runtimeStatus}: ${status.output}`);
    await sleep(5);
  }
}

/** Runs an orchestration `repeats` times and keeps the median run. */
async function timed(host, name, input) {
  const runs = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    const id = await start(host, name, input);
    await waitDone(host, id);
    const ms = performance.now() - started;
    runs.push({ ms });
  }
  runs.sort((a, b) => a.ms - b.ms);
  return runs[Math.floor(runs.length / 2)];
}

async function main() {
  const stackDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-bench-stack-'));
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-bench-host-'));
  const ports = { blob: await freePort(), queue: await freePort(), table: await freePort(), cosmos: await freePort() };
  const functionsPort = await freePort();
  const stack = await startLocalStack(stackDir, ports);
  const hub = `bench${randomBytes(4).toString('hex')}`;
  let host;
  try {
    host = startHost(stack, hub, stateDir, functionsPort);
    host.stateDir = stateDir;
    await waitReady(host);
    // Warm up module loading and the tables before measuring.
    await waitDone(host, await start(host, 'fanOutNoop', 50));

    const fanOut = await timed(host, 'fanOutNoop', 1000);
    const sequential = await timed(host, 'sequence', { steps: 100, activity: 'noop' });

    // Restart: an instance mid-way through a sequence, the host killed, a new host started.
    const id = await start(host, 'sequence', { steps: 200, activity: 'stampStep' });
    while (!/step-ran 5 /.test(host.output)) await sleep(10);
    await stop(host, 'SIGKILL');
    const restartedAt = Date.now();
    host = startHost(stack, hub, stateDir, functionsPort);
    host.stateDir = stateDir;
    let match;
    while (!(match = /step-ran (\d+) (\d+)/.exec(host.output))) {
      if (host.child.exitCode !== null) throw new Error(`restarted devhost exited:\n${host.output}`);
      await sleep(2);
    }
    const restartResumeMs = Number(match[2]) - restartedAt;
    await waitReady(host);
    await fetch(`${host.baseUrl}/runtime/webhooks/durabletask/instances/${id}/terminate?reason=bench&code=${host.masterKey}`, {
      method: 'POST',
    });

    const result = {
      measuredAt: new Date().toISOString(),
      machine: {
        cpus: os.availableParallelism(),
        cpuModel: os.cpus()[0]?.model,
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        // Other work on the machine shows in the figures; this says how busy it was.
        loadAverage1m: Number(os.loadavg()[0].toFixed(2)),
      },
      durability: 'every episode checkpointed to Azurite (table transaction) before its work is dispatched',
      fanOutActivitiesPerSec: Math.round(1000 / (fanOut.ms / 1000)),
      // Each activity is two history events (TaskScheduled, TaskCompleted), the unit Netherite's figures count.
      fanOutTaskEventsPerSec: Math.round(2000 / (fanOut.ms / 1000)),
      fanOutMs: Math.round(fanOut.ms),
      sequentialStepsPerSec: Math.round(100 / (sequential.ms / 1000)),
      sequentialMs: Math.round(sequential.ms),
      restartResumeMs,
      method: {
        fanOut: `fan-out/fan-in of 1,000 no-op activities, start request to Completed status, median of ${repeats}`,
        sequential: `a chain of 100 no-op activities, start request to Completed status, median of ${repeats}`,
        restart:
          'kill -9 of the devhost during a sequence, then from spawning the new host to the first activity it runs for that instance',
      },
      published: {
        azureStorageProviderFanOutActivitiesPerSec: 100,
        azureStorageProviderSequentialStepsPerSecPerInstance: 5,
        netheriteEventsPerSec: '565-1708 on 1-2 cores',
      },
    };
    fs.mkdirSync(path.dirname(resultFile), { recursive: true });
    fs.writeFileSync(resultFile, JSON.stringify(result, null, 2) + '\n');
    console.log(JSON.stringify(result, null, 2));
  } finally {
    if (host) await stop(host);
    await stack.stop();
    fs.rmSync(stackDir, { recursive: true, force: true });
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
