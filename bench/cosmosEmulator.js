// Times the local Cosmos DB emulator with a long run history: seeding 1,000 runs + 20,000 candidate records through the
// app's own CosmosRunStore, then the dashboard's queries (run list page, one run's candidates, leaderboard, costs).
// Usage: node bench/cosmosEmulator.js [--label after] [--emulator-main <cosmosEmulatorMain.js>] [--runs 1000]
//        [--candidates 20] [--port 29190]. Needs `npm run build:all`. Results merge into bench/results/cosmos-emulator.json
// under the label, so a "before" run (an older emulator build) and an "after" run sit side by side.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const https = require('node:https');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');

const root = path.join(__dirname, '..');
const { createCosmosClient } = require(path.join(root, 'dist/shared/adapters/azure/clients'));
const { openCanopyContainers } = require(path.join(root, 'dist/shared/adapters/azure/cosmosSchema'));
const { CosmosRunStore } = require(path.join(root, 'dist/shared/adapters/azure/cosmosRunStore'));
const { cosmosEmulatorKey } = require(path.join(root, 'dist/devhost/localStack/stack'));

const { values } = parseArgs({
  options: {
    label: { type: 'string', default: 'after' },
    'emulator-main': { type: 'string', default: path.join(root, 'dist/devhost/localStack/cosmosEmulatorMain.js') },
    runs: { type: 'string', default: '1000' },
    candidates: { type: 'string', default: '20' },
    port: { type: 'string', default: '29190' },
  },
});
const runCount = Number(values.runs);
const perRun = Number(values.candidates);
const pipeline = 'seeded';
const labels = ['T-shirt', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

// Records shaped like bench/dashboardSeed.ts's (same fields, same sizes), without its spec and registry writes.
function history() {
  const now = Date.now();
  const runs = [];
  const candidates = [];
  for (let i = 0; i < runCount; i += 1) {
    const instanceId = `${pipeline}-${String(i).padStart(6, '0')}`;
    const startedAt = new Date(now - (runCount - i) * 3_600_000).toISOString();
    for (let k = 0; k < perRun; k += 1) {
      const accuracy = 0.7 + ((i * 31 + k * 7) % 200) / 1000;
      candidates.push({
        pipeline,
        instanceId,
        candidateId: `c${String(k).padStart(3, '0')}-${k % 2 ? 'random_forest' : 'logistic_regression'}`,
        featurizer: 'squeezenet1_1',
        classifier: k % 2 ? 'random_forest' : 'logistic_regression',
        params: { regParam: 0.001 * (1 + (k % 5)), maxIter: 50 },
        status: 'succeeded',
        metrics: {
          accuracy,
          classAverageAccuracy: accuracy,
          perClassAccuracy: Object.fromEntries(labels.map((l) => [l, accuracy])),
          confusionMatrix: {
            labels,
            matrix: labels.map((_, r) => labels.map((__, c) => (r === c ? 90 : 1))),
            rows: 'true label',
            columns: 'predicted label',
          },
          rocAuc: Object.fromEntries(labels.map((l) => [l, 0.9])),
        },
        startedAt,
        endedAt: startedAt,
        durationSeconds: 42.5,
        costUsd: 0.0085,
      });
    }
    runs.push({
      pipeline,
      instanceId,
      specVersion: 1,
      dataVersion: `seed:${i}`,
      trigger: 'http',
      status: i % 17 === 0 ? 'failed' : 'succeeded',
      stage: 'done',
      startedAt,
      endedAt: startedAt,
      stageSeconds: { validate: 0.4, provision: 30, copy: 8, train: 120, select: 0.5, teardown: 8 },
      candidates: { total: perRun, succeeded: perRun, failed: 0 },
      best: {
        candidateId: 'c000-logistic_regression',
        classifier: 'logistic_regression',
        featurizer: 'squeezenet1_1',
        metric: 'accuracy',
        value: 0.8,
      },
      costUsd: 0.083,
      nodeMinutes: 8.3,
      tornDown: true,
    });
  }
  return { runs, candidates };
}

async function startEmulator(dataDir) {
  const child = spawn(process.execPath, [values['emulator-main'], '--port', values.port, '--location', dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_PATH: path.join(root, 'node_modules') },
  });
  await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`emulator exited ${code}`)));
    child.stdout.on('data', (chunk) => {
      if (String(chunk).includes('listening')) resolve();
    });
  });
  return child;
}

async function timed(fn) {
  const started = process.hrtime.bigint();
  const result = await fn();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, result };
}

/** First call (cold) and the median of five more. */
async function measure(fn) {
  const first = await timed(fn);
  const rest = [];
  for (let i = 0; i < 5; i += 1) rest.push((await timed(fn)).ms);
  rest.sort((a, b) => a - b);
  return { firstMs: Math.round(first.ms), medianMs: Math.round(rest[2]), items: first.result.length ?? first.result.items.length };
}

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-cosmos-bench-'));
  const emulator = await startEmulator(dataDir);
  try {
    const agent = new https.Agent({ rejectUnauthorized: false, keepAlive: true });
    const client = createCosmosClient(`https://127.0.0.1:${values.port}/`, { key: cosmosEmulatorKey, agent });
    const { runs: container } = await openCanopyContainers(client, 'canopy');
    const store = new CosmosRunStore(container);
    const records = history();
    const seed = await timed(() => store.importRuns(pipeline, records));
    const someRun = records.runs[Math.floor(runCount / 2)].instanceId;
    const result = {
      runs: runCount,
      candidates: records.candidates.length,
      seedSeconds: Math.round(seed.ms / 100) / 10,
      queries: {
        listPipelineRunsFirstPage: await measure(() => store.listPipelineRuns(pipeline, { top: 50 })),
        listPipelineRunsByCost: await measure(() => store.listPipelineRuns(pipeline, { top: 50, sortBy: 'costUsd', status: 'succeeded' })),
        listCandidateRunsOfRun: await measure(() => store.listCandidateRuns(pipeline, someRun)),
        topCandidateRuns: await measure(() => store.topCandidateRuns(pipeline, 'accuracy', 10)),
        listRunCosts30Days: await measure(() => store.listRunCosts(pipeline, new Date(Date.now() - 30 * 86_400_000))),
      },
      measuredAt: new Date().toISOString(),
      machine: `${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown cpu'}`,
    };
    const resultsFile = path.join(root, 'bench/results/cosmos-emulator.json');
    const previous = fs.existsSync(resultsFile) ? JSON.parse(fs.readFileSync(resultsFile, 'utf8')) : {};
    fs.writeFileSync(resultsFile, `${JSON.stringify({ ...previous, [values.label]: result }, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    emulator.kill('SIGTERM');
    await new Promise((resolve) => emulator.once('exit', resolve));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
