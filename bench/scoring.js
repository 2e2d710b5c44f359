// `npm run bench:scoring`: the model server under concurrent load on loopback against a raw in-process
// onnxruntime call on the same input, and what the scoring function adds in front of the server. Uses a
// real image model package (test/support/modelPackages.ts: SqueezeNet features + logistic regression on
// 28×28 Fashion-MNIST), its own local stack and devhost on free ports, and writes bench/results/scoring.json.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const { freePort } = require('./lib/freePort');
const os = require('node:os');
const path = require('node:path');
const ts = require('typescript');

const root = path.resolve(__dirname, '..');
const resultFile = path.join(root, 'bench', 'results', 'scoring.json');
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
const loadSeconds = Number(process.env.BENCH_SECONDS ?? 15);
const sequentialRequests = Number(process.env.BENCH_SEQUENTIAL ?? 300);

// The package helper is test code in TypeScript; compile it on the fly rather than keep a second copy here.
require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, resolveJsonModule: true },
    fileName: filename,
  });
  module._compile(outputText, filename);
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted, fraction) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * fraction) - 1))];
}

const round = (n, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

function summary(latencies, seconds) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    requests: sorted.length,
    throughputPerSecond: round(sorted.length / seconds, 1),
    p50Ms: round(percentile(sorted, 0.5)),
    p99Ms: round(percentile(sorted, 0.99)),
    meanMs: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
  };
}

/** Closed-loop load: `workers` callers each issue `call()` back to back for `seconds`. */
async function closedLoop(call, workers, seconds) {
  const latencies = [];
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await call();
        latencies.push(performance.now() - t);
      }
    }),
  );
  return summary(latencies, (performance.now() - started) / 1000);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** POST over a keep-alive agent (as a load generator does); rejects on anything but 200. */
function post(url, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': body.length, ...headers },
    });
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () =>
        res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`${url}: ${res.statusCode} ${Buffer.concat(chunks)}`)),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

function spawnLogged(args, env) {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = { child, output: '' };
  child.stdout.on('data', (d) => (proc.output += d));
  child.stderr.on('data', (d) => (proc.output += d));
  return proc;
}

async function waitFor(url, proc, what) {
  for (let i = 0; i < 1200; i++) {
    if (proc.child.exitCode !== null) throw new Error(`${what} exited:\n${proc.output}`);
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await sleep(100);
  }
  throw new Error(`${what} not ready:\n${proc.output}`);
}

function stop(proc) {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    proc.child.once('exit', resolve);
    proc.child.kill('SIGTERM');
  });
}

/** The first `count` test images of the package's data as the ACI walkthrough's pixel rows. */
function pixelRows(imagesDir, count) {
  const { PNG } = require('pngjs');
  const testDir = path.join(imagesDir, 'test');
  const label = fs.readdirSync(testDir).sort()[0];
  return fs
    .readdirSync(path.join(testDir, label))
    .sort()
    .slice(0, count)
    .map((file) => {
      const png = PNG.sync.read(fs.readFileSync(path.join(testDir, label, file)));
      return Array.from({ length: png.width * png.height }, (_, i) => png.data[i * 4]);
    });
}

async function main() {
  const { imageModelPackage } = require(path.join(root, 'test', 'support', 'modelPackages.ts'));
  const pkg = imageModelPackage();
  const rows = pixelRows(pkg.imagesDir, 1);
  const body = Buffer.from(JSON.stringify({ data: rows }));
  const loadBefore = os.loadavg();

  // 1. Raw onnxruntime in this process: the server's own predictor code, no HTTP.
  const { loadModelPackage } = require(path.join(root, 'dist', 'scoring', 'modelPackage'));
  const { Predictor } = require(path.join(root, 'dist', 'scoring', 'predictor'));
  const { parseScoreRequest } = require(path.join(root, 'dist', 'scoring', 'scoreRequest'));
  // One intra-op thread, the server's default; each call runs alone, where the server batches concurrent requests.
  const predictor = await Predictor.create(await loadModelPackage(pkg.packageDir), 1);
  const input = parseScoreRequest('application/json', body, 64);
  for (let i = 0; i < 20; i++) await predictor.predict(input);
  const raw = await closedLoop(() => predictor.predict(input), concurrency, loadSeconds);
  const rawSequential = await closedLoop(() => predictor.predict(input), 1, loadSeconds / 3);

  // 2. The model server on loopback, the same input over HTTP.
  const scorerPort = await freePort();
  const scorer = spawnLogged(
    [path.join(root, 'dist', 'scoring', 'main.js'), '--package', pkg.packageDir, '--port', String(scorerPort), '--host', '127.0.0.1'],
    { MODEL_NAME: 'bench', MODEL_VERSION: '1' },
  );
  const scorerUrl = `http://127.0.0.1:${scorerPort}`;
  const stackDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-bench-scoring-'));
  let stack;
  let host;
  try {
    await waitFor(`${scorerUrl}/health`, scorer, 'model server');
    for (let i = 0; i < 20; i++) await post(`${scorerUrl}/score`, body);
    const server = await closedLoop(() => post(`${scorerUrl}/score`, body), concurrency, loadSeconds);

    // 3. The scoring function on a devhost in front of the same server.
    const { startLocalStack } = require(path.join(root, 'dist', 'devhost', 'localStack', 'stack'));
    const { createCosmosClient } = require(path.join(root, 'dist', 'shared', 'adapters', 'azure', 'clients'));
    const { openCanopyContainers } = require(path.join(root, 'dist', 'shared', 'adapters', 'azure', 'cosmosSchema'));
    const { CosmosModelRegistry } = require(path.join(root, 'dist', 'shared', 'adapters', 'azure', 'cosmosModelRegistry'));
    const ports = { blob: await freePort(), queue: await freePort(), table: await freePort(), cosmos: await freePort() };
    stack = await startLocalStack(stackDir, ports);
    const settings = {
      CANOPY_RUNTIME: 'local',
      AzureWebJobsStorage: stack.storageConnectionString,
      CANOPY_COSMOS_ENDPOINT: stack.cosmosEndpoint,
      CANOPY_COSMOS_EMULATOR_KEY: stack.cosmosConnectionString.split('AccountKey=')[1].replace(/;$/, ''),
      CANOPY_LOCAL_STATE: path.join(stackDir, 'state'),
    };
    // The emulator's self-signed certificate is accepted by this client only, on loopback.
    const cosmos = createCosmosClient(stack.cosmosEndpoint, {
      key: settings.CANOPY_COSMOS_EMULATOR_KEY,
      agent: new https.Agent({ rejectUnauthorized: false, keepAlive: true }),
    });
    const registry = new CosmosModelRegistry((await openCanopyContainers(cosmos, 'canopy')).models);
    const now = new Date();
    const version = await registry.createVersion(
      'bench',
      {
        packageUri: pkg.packageDir,
        metrics: { accuracy: 0 },
        lineage: {
          pipeline: 'bench',
          instanceId: 'bench--1',
          candidateId: 'c',
          classifier: 'logistic_regression',
          featurizer: 'squeezenet1.1',
          params: {},
          specVersion: 1,
          dataSnapshot: 'bench',
        },
      },
      now,
    );
    await registry.upsertDeployment({
      model: 'bench',
      name: 'bench-v1',
      version: version.version,
      target: 'local',
      endpoint: scorerUrl,
      state: 'healthy',
      trafficPercent: 100,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    });
    const functionsPort = await freePort();
    const hostState = path.join(stackDir, 'devhost');
    host = spawnLogged([path.join(root, 'dist', 'devhost', 'main.js'), '--app', root], {
      ...settings,
      FUNCTIONS_WORKER_RUNTIME: 'node',
      CANOPY_STATE_DIR: hostState,
      CANOPY_FUNCTIONS_PORT: String(functionsPort),
    });
    const hostUrl = `http://127.0.0.1:${functionsPort}`;
    await waitFor(`${hostUrl}/admin/host/status`, host, 'devhost');
    const key = JSON.parse(fs.readFileSync(path.join(hostState, 'secrets', 'host.json'), 'utf8')).functionKeys.default;
    const viaFunction = () => post(`${hostUrl}/api/models/bench/score`, body, { 'x-functions-key': key });
    for (let i = 0; i < 20; i++) await viaFunction();

    // One request at a time, direct and through the function interleaved, so both see the same machine.
    const direct = [];
    const proxied = [];
    for (let i = 0; i < sequentialRequests; i++) {
      let t = performance.now();
      await post(`${scorerUrl}/score`, body);
      direct.push(performance.now() - t);
      t = performance.now();
      await viaFunction();
      proxied.push(performance.now() - t);
    }
    const directSequential = summary(direct, direct.reduce((a, b) => a + b, 0) / 1000);
    const proxiedSequential = summary(proxied, proxied.reduce((a, b) => a + b, 0) / 1000);
    const functionUnderLoad = await closedLoop(viaFunction, concurrency, loadSeconds);
    // What reading the traffic split from the registry on every request would cost (the function keeps it in memory).
    const registryReads = [];
    for (let i = 0; i < sequentialRequests; i++) {
      const t = performance.now();
      await registry.listDeployments('bench');
      registryReads.push(performance.now() - t);
    }
    const registryRead = summary(registryReads, registryReads.reduce((a, b) => a + b, 0) / 1000);

    const result = {
      measuredAt: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        memoryGiB: round(os.totalmem() / 2 ** 30, 1),
        loadAverageBefore: loadBefore.map((l) => round(l)),
        loadAverageAfter: os.loadavg().map((l) => round(l)),
        node: process.version,
      },
      model: {
        package: 'SqueezeNet 1.1 features + logistic regression (test/support/modelPackages.ts)',
        input: 'one 28×28 greyscale image as {"data": [[784 pixels]]}',
      },
      settings: { concurrency, loadSeconds, sequentialRequests },
      rawOnnxruntime: { concurrent: raw, sequential: rawSequential },
      modelServer: server,
      scoringFunction: { underLoad: functionUnderLoad, sequential: proxiedSequential, directSequential, registryRead },
      serverOverheadRatio: round(raw.throughputPerSecond / server.throughputPerSecond),
      serverLatencyRatioP50: round(server.p50Ms / raw.p50Ms),
      proxyOverheadMs: round(proxiedSequential.p50Ms - directSequential.p50Ms),
      proxyOverheadP99Ms: round(proxiedSequential.p99Ms - directSequential.p99Ms),
      definitions: {
        serverOverheadRatio: 'raw in-process throughput ÷ model server throughput, same input and concurrency (1 = HTTP costs nothing)',
        serverLatencyRatioP50: 'model server p50 ÷ raw p50 at the same concurrency',
        proxyOverheadMs:
          'p50 through POST /api/models/{name}/score on the devhost minus p50 straight to the server, one request at a time, interleaved',
        proxyOverheadP99Ms: 'the same for p99 (the 3rd-worst of 300 requests on each side, so it moves with the machine)',
      },
    };
    fs.mkdirSync(path.dirname(resultFile), { recursive: true });
    fs.writeFileSync(resultFile, JSON.stringify(result, null, 2) + '\n');
    console.log(JSON.stringify(result, null, 2));
  } finally {
    if (host) await stop(host);
    await stop(scorer);
    if (stack) await stack.stop();
    fs.rmSync(stackDir, { recursive: true, force: true });
    agent.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
