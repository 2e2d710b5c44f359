// The local stack (Azurite + Cosmos DB emulator) and the Functions host as separate process groups, so a crash
// harness can SIGKILL the host alone or everything, and start them again on the same state. Spark batches and
// model servers are started detached by the host and survive both, as a cluster and a container group would.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const dist = (file) => path.join(root, 'dist', file);

function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

class CrashStack {
  constructor(stateDir, ports) {
    this.stateDir = stateDir;
    this.ports = ports;
    const { stackEndpoints } = require(dist('devhost/localStack/stack.js'));
    this.endpoints = stackEndpoints('127.0.0.1', ports);
    this.baseUrl = `http://127.0.0.1:${ports.functions}`;
    this.stack = undefined;
    this.host = undefined;
  }

  get keys() {
    return require(dist('devhost/keys.js')).loadOrCreateKeys(path.join(this.stateDir, 'devhost'));
  }

  #spawn(args, env, logName) {
    const log = fs.openSync(path.join(this.stateDir, logName), 'a');
    fs.fchmodSync(log, 0o600);
    const child = spawn(process.execPath, args, { cwd: root, env, detached: true, stdio: ['ignore', log, log] });
    fs.closeSync(log);
    child.unref();
    return child.pid;
  }

  async startStack() {
    const { stateDir } = this;
    const ports = { blob: this.ports.blob, queue: this.ports.queue, table: this.ports.table, cosmos: this.ports.cosmos };
    const script = `require(${JSON.stringify(dist('devhost/localStack/stack.js'))})
      .startLocalStack(${JSON.stringify(stateDir)}, ${JSON.stringify(ports)})
      .then(() => require('node:fs').writeFileSync(${JSON.stringify(path.join(stateDir, 'stack.ready'))}, String(process.pid)))
      .catch((err) => { console.error(err); process.exit(1); });`;
    fs.rmSync(path.join(stateDir, 'stack.ready'), { force: true });
    this.stack = this.#spawn(['-e', script], process.env, 'stack.log');
    await until('the local stack did not start', () => fs.existsSync(path.join(stateDir, 'stack.ready')), 120_000);
  }

  async startHost(extraEnv = {}) {
    const { endpoints, stateDir, ports } = this;
    const env = {
      ...process.env,
      ...extraEnv,
      FUNCTIONS_WORKER_RUNTIME: 'node',
      CANOPY_RUNTIME: 'local',
      AzureWebJobsStorage: endpoints.storageConnectionString,
      CANOPY_COSMOS_ENDPOINT: endpoints.cosmosEndpoint,
      CANOPY_COSMOS_EMULATOR_KEY: endpoints.cosmosConnectionString.split('AccountKey=')[1].replace(/;$/, ''),
      CANOPY_STATE_DIR: path.join(stateDir, 'devhost'),
      CANOPY_LOCAL_STATE: stateDir,
      CANOPY_MODELS_DIR: path.join(root, '.canopy', 'models'),
      CANOPY_FUNCTIONS_PORT: String(ports.functions),
      CANOPY_BLOB_PORT: String(ports.blob),
      CANOPY_QUEUE_PORT: String(ports.queue),
      CANOPY_TABLE_PORT: String(ports.table),
      CANOPY_COSMOS_PORT: String(ports.cosmos),
    };
    this.host = this.#spawn([dist('devhost/main.js'), '--app', root], env, 'devhost.log');
    await until(
      'the Functions host did not answer',
      () =>
        fetch(`${this.baseUrl}/admin/host/status`).then(
          (r) => r.ok,
          () => false,
        ),
      120_000,
    );
  }

  /** SIGKILL of the host's process group: a crash of the Functions host alone. */
  async killHost() {
    await this.#kill(this.host);
  }

  /** SIGKILL of the host and of Azurite and the Cosmos DB emulator: a crash of the whole machine's services. */
  async killAll() {
    await Promise.all([this.#kill(this.host), this.#kill(this.stack)]);
  }

  async #kill(pid) {
    if (!pid) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      return;
    }
    await until(`process group ${pid} did not end`, () => !groupAlive(pid), 30_000);
  }

  async stop() {
    for (const pid of [this.host, this.stack]) {
      if (!pid || !groupAlive(pid)) continue;
      process.kill(-pid, 'SIGTERM');
      await until(`process group ${pid} did not stop`, () => !groupAlive(pid), 30_000).catch(() => process.kill(-pid, 'SIGKILL'));
    }
  }

  async api(method, route, body, key = this.keys.functionKeys.default) {
    const res = await fetch(`${this.baseUrl}/api/${route}`, {
      method,
      headers: { 'x-functions-key': key, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
}

module.exports = { CrashStack };
