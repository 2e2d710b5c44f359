// Does coalescing concurrent /score requests into one onnxruntime call (SCORER_BATCHING) pay off?
// Starts dist/scoring/main.js on loopback per model and setting, sends single-image or single-row
// requests from 1, 8 and 32 concurrent clients in three interleaved rounds, and writes the median
// round's throughput and latency percentiles to bench/results/model-server-batching.json.
//   npm run build:scoring && node bench/modelServerBatching.js [--image-package DIR] [--tabular-package DIR]
//     [--image-requests 200] [--tabular-requests 4000]   (requests per measurement)
// Without the folders it uses the packages test/support/modelPackages.ts caches under the temp dir
// (`npx jest test/scoring/modelPackages.test.ts` makes them).
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');

const root = path.resolve(__dirname, '..');
const resultFile = path.join(root, 'bench', 'results', 'model-server-batching.json');
const { values } = parseArgs({
  options: {
    'image-package': { type: 'string' },
    'tabular-package': { type: 'string' },
    'image-requests': { type: 'string', default: '200' },
    'tabular-requests': { type: 'string', default: '4000' },
  },
});

/** The newest complete package test/support/modelPackages.ts cached under the temp dir for `kind`. */
function cachedPackage(kind) {
  const found = fs
    .readdirSync(os.tmpdir())
    .filter((name) => new RegExp(`^canopy-test-${kind}-package-[0-9a-f]+$`).test(name))
    .map((name) => path.join(os.tmpdir(), name))
    .filter((dir) => fs.existsSync(path.join(dir, '.complete')))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (found.length === 0) throw new Error(`no cached ${kind} package: run \`npx jest test/scoring/modelPackages.test.ts\` once`);
  return path.join(found[0], 'run', 'model');
}

function startScorer(packageDir, env) {
  const child = spawn(
    process.execPath,
    [path.join(root, 'dist', 'scoring', 'main.js'), '--package', packageDir, '--host', '127.0.0.1', '--port', '0'],
    {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (d) => {
      output += d.toString();
      const match = /listening on port (\d+)/.exec(output);
      if (match) resolve({ child, baseUrl: `http://127.0.0.1:${match[1]}` });
    });
    child.once('exit', (code) => reject(new Error(`the scorer exited with ${code}: ${output}`)));
  });
}

async function waitReady(baseUrl) {
  for (;;) {
    const ok = await fetch(`${baseUrl}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function post(agent, baseUrl, body) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.request(
      `${baseUrl}/score`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - started) / 1e6) : reject(new Error(`status ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function load(baseUrl, bodies, concurrency, requests) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies = [];
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        const body = bodies[next++ % bodies.length];
        latencies.push(await post(agent, baseUrl, body));
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const round = (x) => Math.round(x * 10) / 10;
  return {
    concurrency,
    requests,
    requestsPerSecond: round(requests / seconds),
    p50Ms: round(percentile(latencies, 50)),
    p95Ms: round(percentile(latencies, 95)),
  };
}

/** Single-image requests: the Fashion-MNIST test PNGs of the sample the image package was trained on. */
function imageBodies() {
  const testDir = path.join(os.tmpdir(), 'canopy-test-fashion-0.005', 'test');
  return fs
    .readdirSync(testDir)
    .flatMap((label) => fs.readdirSync(path.join(testDir, label)).map((f) => path.join(testDir, label, f)))
    .map((file) => Buffer.from(JSON.stringify({ images: [fs.readFileSync(file).toString('base64')] })));
}

/** Single-row requests of varied values for the model's columns, as /metadata lists them. */
async function rowBodies(baseUrl) {
  const { inputs } = await (await fetch(`${baseUrl}/metadata`)).json();
  return Array.from({ length: 50 }, (_, k) =>
    Buffer.from(
      JSON.stringify({ rows: [Object.fromEntries(inputs.map((i, n) => [i.name, i.dtype === 'string' ? 'web' : ((k + n) % 7) / 3]))] }),
    ),
  );
}

async function main() {
  const cases = [
    {
      model: 'image',
      packageDir: values['image-package'] ?? cachedPackage('image'),
      bodies: async () => imageBodies(),
      requests: Number(values['image-requests']),
      settings: ['off', 'on', 'on+2ms'],
    },
    {
      model: 'tabular',
      packageDir: values['tabular-package'] ?? cachedPackage('tabular'),
      bodies: rowBodies,
      requests: Number(values['tabular-requests']),
      settings: ['off', 'on', 'on+2ms'],
    },
  ];
  const envOf = {
    off: { SCORER_BATCHING: 'off' },
    on: { SCORER_BATCHING: 'on' },
    'on+2ms': { SCORER_BATCHING: 'on', SCORER_BATCH_WINDOW_MS: '2' },
  };
  // The machine's load drifts: all settings of a model run side by side and take turns, round by
  // round, so a quieter or busier minute does not favour one of them; the median round is reported.
  const results = [];
  for (const c of cases) {
    const scorers = await Promise.all(c.settings.map((setting) => startScorer(c.packageDir, envOf[setting])));
    try {
      await Promise.all(scorers.map((scorer) => waitReady(scorer.baseUrl)));
      const bodies = await c.bodies(scorers[0].baseUrl);
      for (const scorer of scorers) await load(scorer.baseUrl, bodies, 4, 40);
      for (const concurrency of [1, 8, 32]) {
        const rounds = c.settings.map(() => []);
        for (let r = 0; r < rounds.length; r++)
          for (let i = 0; i < scorers.length; i++) rounds[i].push(await load(scorers[i].baseUrl, bodies, concurrency, c.requests));
        c.settings.forEach((setting, i) => {
          const sorted = [...rounds[i]].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
          const median = sorted[Math.floor(sorted.length / 2)];
          const result = {
            model: c.model,
            batching: setting,
            ...median,
            roundsRequestsPerSecond: rounds[i].map((x) => x.requestsPerSecond),
          };
          console.log(JSON.stringify(result));
          results.push(result);
        });
      }
    } finally {
      for (const scorer of scorers) scorer.child.kill('SIGTERM');
    }
  }
  const report = {
    measuredAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadAverageAtEnd: os.loadavg() },
    requests: 'one image (28×28 PNG, base64 JSON) or one row per request; keep-alive connections; SCORER_THREADS 1',
    results,
  };
  fs.mkdirSync(path.dirname(resultFile), { recursive: true });
  fs.writeFileSync(resultFile, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${path.relative(root, resultFile)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
