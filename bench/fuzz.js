// npm run bench:fuzz — hostile and malformed requests against every route of the API's OpenAPI document, the Durable
// webhook routes and a model server, on a local stack of its own (free ports). It counts the answers by status and
// fails on any 5xx, hang, crash, leak (stack trace, key, connection string, machine path) or any write by a rejected
// request (Cosmos and blob inventory compared around each batch). Results: bench/results/fuzz.json.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { freePort } = require('./lib/freePort');
const cases = require('./fuzzCases');

const root = path.resolve(__dirname, '..');
const dist = (...p) => require(path.join(root, 'dist', ...p));
const requestTimeoutMs = Number(process.env.FUZZ_REQUEST_TIMEOUT_MS ?? 30_000);
const concurrency = Number(process.env.FUZZ_CONCURRENCY ?? 4);

/** One HTTP request with a raw path (no URL normalisation), a deadline, and the answer's text (first 1 MB). */
function send(port, { method, path: target, headers = {}, body }) {
  return new Promise((resolve) => {
    const started = Date.now();
    const req = http.request({ host: '127.0.0.1', port, method, path: target, headers, agent: false }, (res) => {
      const chunks = [];
      let size = 0;
      res.on('data', (c) => {
        if (size < 1 << 20) chunks.push(c);
        size += c.length;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), ms: Date.now() - started }),
      );
      res.on('error', () => resolve({ status: 'reset', ms: Date.now() - started }));
    });
    req.setTimeout(requestTimeoutMs, () => {
      req.destroy();
      resolve({ status: 'hang', ms: Date.now() - started });
    });
    req.on('error', (err) =>
      resolve({
        status: err.code === 'ECONNRESET' || err.code === 'EPIPE' ? 'reset' : 'error',
        error: err.message,
        ms: Date.now() - started,
      }),
    );
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

/** A request that sends its headers and part of its body, then stalls: the server must keep answering others. */
function slowPartial(port, target, headers, declared, sent, stallMs) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('connect', () => {
      const head = [
        `POST ${target} HTTP/1.1`,
        'Host: 127.0.0.1',
        `Content-Length: ${declared}`,
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      ];
      socket.write(`${head.join('\r\n')}\r\n\r\n`);
      socket.write('x'.repeat(sent));
    });
    setTimeout(() => {
      socket.destroy();
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1];
      resolve({ status: status ? Number(status) : 'stalled', text: answer });
    }, stallMs);
  });
}

/** What must never reach a caller: the keys and connection strings of this stack, stack traces, paths on this machine. */
function leakPatterns(secrets) {
  const literal = (s) => new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return [
    ...secrets.filter(Boolean).map((s) => ({ kind: 'key', pattern: literal(s) })),
    { kind: 'connection string', pattern: /AccountKey=|DefaultEndpointsProtocol=|AccountEndpoint=/ },
    { kind: 'sas', pattern: /[?&]sig=/ },
    { kind: 'stack trace', pattern: /\n\s+at [\w.<>$ ]+\(?[^)\n]*:\d+:\d+\)?/ },
    {
      kind: 'file path',
      pattern: new RegExp(`file://|${[root, os.tmpdir(), os.homedir()].map((p) => literal(p).source).join('|')}|node_modules/`),
    },
  ];
}

/** The kinds of leak in an answer; what the request itself sent (an echoed value) is not a leak. */
function leaksIn(answer, patterns, request) {
  const text = `${JSON.stringify(answer.headers ?? {})}\n${answer.text ?? ''}`;
  const sent = `${safeDecode(request.path)}\n${request.body ?? ''}`;
  return patterns
    .filter((p) => [...text.matchAll(new RegExp(p.pattern.source, 'g'))].some((m) => !sent.includes(m[0].trim())))
    .map((p) => p.kind);
}

function safeDecode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

async function pool(items, limit, work) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Every Canopy record: Cosmos documents (id and ETag) and blobs of the canopy-* containers, less the reaper's own note. */
async function inventory(cosmos, blobs) {
  const items = new Map();
  const { resources: containers } = await cosmos.database('canopy').containers.readAll().fetchAll();
  for (const c of containers) {
    const { resources } = await cosmos.database('canopy').container(c.id).items.query('SELECT c.id, c._etag FROM c').fetchAll();
    for (const r of resources) items.set(`cosmos:${c.id}/${r.id}`, r._etag);
  }
  for await (const container of blobs.listContainers()) {
    if (!container.name.startsWith('canopy-')) continue;
    for await (const blob of blobs.getContainerClient(container.name).listBlobsFlat()) {
      if (blob.name === '_reaper/last-pass.json') continue;
      items.set(`blob:${container.name}/${blob.name}`, blob.properties.etag);
    }
  }
  return items;
}

function changes(before, after) {
  const changed = [];
  for (const [key, etag] of after) if (before.get(key) !== etag) changed.push(key);
  for (const key of before.keys()) if (!after.has(key)) changed.push(`${key} (deleted)`);
  return changed;
}

function findModelPackage() {
  if (process.env.FUZZ_MODEL_PACKAGE) return process.env.FUZZ_MODEL_PACKAGE;
  const found = fs
    .readdirSync(os.tmpdir())
    .filter((d) => d.startsWith('canopy-test-image-package-'))
    .map((d) => path.join(os.tmpdir(), d, 'run', 'model'))
    .filter((d) => fs.existsSync(path.join(d, 'manifest.json')));
  if (found.length === 0) throw new Error('no image model package: run the scoring tests once (they train one) or set FUZZ_MODEL_PACKAGE');
  return found[0];
}

function startProcess(args, env, ready) {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const waitFor = async (check, timeoutMs) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check(output))) {
      if (child.exitCode !== null) throw new Error(`${args[0]} exited with ${child.exitCode}:\n${output.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`${args[0]} not ready:\n${output.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  return { child, output: () => output, ready: () => waitFor(ready, 120_000) };
}

const stop = (child) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      });

async function main() {
  const { startLocalStack } = dist('devhost', 'localStack', 'stack');
  const { CosmosClient } = require('@azure/cosmos');
  const { BlobServiceClient } = require('@azure/storage-blob');
  const https = require('node:https');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-fuzz-'));
  const ports = { blob: await freePort(), queue: await freePort(), table: await freePort(), cosmos: await freePort() };
  const stack = await startLocalStack(path.join(work, 'stack'), ports);
  const cosmosKey = stack.cosmosConnectionString.split('AccountKey=')[1].replace(/;$/, '');
  const storageKey = /AccountKey=([^;]+)/.exec(stack.storageConnectionString)[1];
  const functionsPort = await freePort();
  const hostState = path.join(work, 'host');
  const host = startProcess(
    [path.join(root, 'dist', 'devhost', 'main.js'), '--app', root],
    {
      ...process.env,
      FUNCTIONS_WORKER_RUNTIME: 'node',
      CANOPY_RUNTIME: 'local',
      AzureWebJobsStorage: stack.storageConnectionString,
      CANOPY_COSMOS_ENDPOINT: stack.cosmosEndpoint,
      CANOPY_COSMOS_EMULATOR_KEY: cosmosKey,
      CANOPY_STATE_DIR: hostState,
      CANOPY_LOCAL_STATE: path.join(work, 'local'),
      CANOPY_FUNCTIONS_PORT: String(functionsPort),
      CANOPY_POLL_SECONDS: '1',
    },
    () =>
      send(functionsPort, { method: 'GET', path: '/admin/host/status' }).then(
        (a) => a.status === 200,
        () => false,
      ),
  );
  const scorerPort = await freePort();
  const scorer = startProcess(
    [path.join(root, 'dist', 'scoring', 'main.js'), '--package', findModelPackage(), '--host', '127.0.0.1', '--port', String(scorerPort)],
    { PATH: process.env.PATH, MODEL_NAME: 'fuzz', MODEL_VERSION: '1', SCORER_MAX_ROWS: '8', SCORER_MAX_BODY_BYTES: String(4 << 20) },
    () =>
      send(scorerPort, { method: 'GET', path: '/health' }).then(
        (a) => a.status === 200,
        () => false,
      ),
  );
  const cosmos = new CosmosClient({
    endpoint: stack.cosmosEndpoint,
    key: cosmosKey,
    agent: new https.Agent({ rejectUnauthorized: false }),
    connectionPolicy: { enableEndpointDiscovery: false },
  });
  const blobs = BlobServiceClient.fromConnectionString(stack.storageConnectionString);
  const byStatus = {};
  const failures = { fiveXx: [], hangs: [], crashes: [], leaks: [], writesByRejected: [] };
  const batches = [];
  const gridRefusals = [];
  const slowest = [];
  /** Connections the server closed before answering (e.g. an oversized body cut off): reported, not failures. */
  const resets = [];
  let requests = 0;
  try {
    await host.ready();
    await scorer.ready();
    const keys = JSON.parse(fs.readFileSync(path.join(hostState, 'secrets', 'host.json'), 'utf8'));
    const functionKey = keys.functionKeys.default;
    const masterKey = keys.masterKey;
    const patterns = leakPatterns([functionKey, masterKey, storageKey, cosmosKey]);
    const openapi = JSON.parse(
      (await send(functionsPort, { method: 'GET', path: '/api/openapi.json', headers: { 'x-functions-key': functionKey } })).text,
    );
    const seed = await send(functionsPort, {
      method: 'POST',
      path: '/api/pipelines',
      headers: { 'x-functions-key': functionKey, 'content-type': 'application/json' },
      body: JSON.stringify(cases.validSpec('fuzz-seed')),
    });
    if (seed.status !== 201) throw new Error(`seeding the pipeline failed: ${seed.status} ${seed.text}`);
    const context = { functionKey, masterKey, seedPipeline: 'fuzz-seed', seedRun: 'fuzz-seed--0000000000000000' };

    const record = (target, c, answer) => {
      requests++;
      byStatus[answer.status] = (byStatus[answer.status] ?? 0) + 1;
      const what = { target, method: c.method, path: c.path.slice(0, 200), case: c.label, status: answer.status };
      if (typeof answer.status === 'number' && answer.status >= 500)
        failures.fiveXx.push({ ...what, body: (answer.text ?? '').slice(0, 300) });
      if (answer.status === 'hang') failures.hangs.push(what);
      if (answer.status === 'reset' || answer.status === 'error') resets.push({ ...what, error: answer.error });
      if (/grid 10\^/.test(c.label)) gridRefusals.push({ case: c.label, status: answer.status, ms: answer.ms });
      slowest.push({ target, method: c.method, case: c.label, status: answer.status, ms: answer.ms });
      slowest.sort((a, b) => b.ms - a.ms).splice(10);
      const leaks = leaksIn(answer, patterns, c);
      if (leaks.length > 0) failures.leaks.push({ ...what, leaks, body: (answer.text ?? '').slice(0, 300) });
      return answer;
    };
    const alive = async () => {
      const api = await send(functionsPort, { method: 'GET', path: '/api/health' });
      const model = await send(scorerPort, { method: 'GET', path: '/health' });
      if (host.child.exitCode !== null || host.child.signalCode !== null || typeof api.status !== 'number')
        failures.crashes.push({ target: 'api', status: api.status, output: host.output().slice(-1500) });
      if (scorer.child.exitCode !== null || scorer.child.signalCode !== null || model.status !== 200)
        failures.crashes.push({ target: 'model server', status: model.status, output: scorer.output().slice(-1500) });
      return failures.crashes.length === 0;
    };

    const groups = [
      ...cases.apiCases(openapi, context).map((g) => ({ ...g, port: functionsPort, target: 'api' })),
      ...cases.durableCases(context).map((g) => ({ ...g, port: functionsPort, target: 'durable' })),
      ...cases.scorerCases().map((g) => ({ ...g, port: scorerPort, target: 'model server' })),
    ];
    for (const group of groups) {
      const before = await inventory(cosmos, blobs);
      let accepted = 0;
      const startedAt = Date.now();
      await pool(group.cases, concurrency, async (c) => {
        const answer = record(group.target, c, await send(group.port, c));
        if (typeof answer.status === 'number' && answer.status < 300 && c.method !== 'GET') accepted++;
      });
      const changed = changes(before, await inventory(cosmos, blobs));
      if (accepted === 0 && changed.length > 0) failures.writesByRejected.push({ group: group.name, changed: changed.slice(0, 20) });
      batches.push({
        group: group.name,
        target: group.target,
        requests: group.cases.length,
        acceptedWrites: accepted,
        changed: changed.length,
        seconds: (Date.now() - startedAt) / 1000,
      });
      if (!(await alive())) break;
    }

    // Slow partial bodies, bounded: a few stalled uploads at once while the servers must keep answering.
    const stalls = [
      slowPartial(
        functionsPort,
        '/api/pipelines',
        { 'x-functions-key': functionKey, 'content-type': 'application/json' },
        100_000,
        10,
        4000,
      ),
      slowPartial(functionsPort, '/api/runs', { 'x-functions-key': functionKey, 'content-type': 'application/json' }, 4000, 100, 4000),
      slowPartial(scorerPort, '/score', { 'content-type': 'application/json' }, 1_000_000, 100, 4000),
      slowPartial(scorerPort, '/score', { 'content-type': 'multipart/form-data; boundary=x' }, 1_000_000, 5, 4000),
    ];
    await new Promise((r) => setTimeout(r, 1000));
    const during = [
      await send(functionsPort, { method: 'GET', path: '/api/health' }),
      await send(scorerPort, { method: 'GET', path: '/health' }),
    ];
    for (const [i, stalled] of (await Promise.all(stalls)).entries()) {
      const c = { method: 'POST', path: i < 2 ? '/api/...' : '/score', label: 'slow partial body' };
      record(i < 2 ? 'api' : 'model server', c, stalled);
    }
    for (const answer of during) {
      requests++;
      if (answer.status !== 200 || answer.ms > 5000)
        failures.hangs.push({ case: 'health while bodies stall', status: answer.status, ms: answer.ms });
    }
    await alive();
  } finally {
    await Promise.all([stop(host.child), stop(scorer.child)]);
    await stack.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }

  const result = {
    measuredAt: new Date().toISOString(),
    requests,
    byStatus,
    fiveXx: failures.fiveXx.length,
    hangs: failures.hangs.length,
    crashes: failures.crashes.length,
    leaks: failures.leaks.length,
    writesByRejected: failures.writesByRejected.length,
    gridRefusals,
    slowest,
    resets,
    batches,
    failures,
  };
  fs.mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  fs.writeFileSync(path.join(root, 'bench', 'results', 'fuzz.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    JSON.stringify(
      {
        requests,
        byStatus,
        fiveXx: result.fiveXx,
        hangs: result.hangs,
        crashes: result.crashes,
        leaks: result.leaks,
        writesByRejected: result.writesByRejected,
      },
      null,
      2,
    ),
  );
  const clean = result.fiveXx + result.hangs + result.crashes + result.leaks + result.writesByRejected === 0;
  if (!clean || requests < 2000) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
