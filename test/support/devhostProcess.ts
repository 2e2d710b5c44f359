import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { testAppSettings } from './testStack';

const repoRoot = path.resolve(__dirname, '..', '..');
const devhostMain = path.join(repoRoot, 'dist', 'devhost', 'main.js');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface DevhostOptions {
  appDir: string;
  /** Reused across restarts so that keys, receipts and timer status carry over. */
  stateDir?: string;
  hostId?: string;
  port?: number;
  env?: Record<string, string>;
}

export interface DevhostProcess {
  readonly baseUrl: string;
  readonly port: number;
  readonly stateDir: string;
  readonly hostId: string;
  readonly functionKey: string;
  readonly masterKey: string;
  readonly child: ChildProcess;
  output(): string;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
  options(): Required<Omit<DevhostOptions, 'env'>> & { env: Record<string, string> };
}

async function waitReady(baseUrl: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`devhost exited with ${child.exitCode}:\n${output()}`);
    const ok = await fetch(`${baseUrl}/admin/host/status`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`devhost did not become ready within ${timeoutMs} ms:\n${output()}`);
}

/** Starts `node dist/devhost/main.js --app <appDir>` against the test stack. */
export async function startDevhost(opts: DevhostOptions): Promise<DevhostProcess> {
  const stateDir = opts.stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-devhost-'));
  const hostId = opts.hostId ?? `t${randomBytes(8).toString('hex')}`;
  const port = opts.port ?? (await freePort());
  const env = opts.env ?? {};
  const child = spawn(process.execPath, [devhostMain, '--app', opts.appDir], {
    env: {
      ...process.env,
      ...testAppSettings(),
      CANOPY_STATE_DIR: stateDir,
      CANOPY_FUNCTIONS_PORT: String(port),
      AzureFunctionsWebHost__hostid: hostId,
      CANOPY_BLOB_POLL_MS: '250',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitReady(baseUrl, child, () => text, 30_000);
  const keys = JSON.parse(fs.readFileSync(path.join(stateDir, 'secrets', 'host.json'), 'utf8')) as {
    masterKey: string;
    functionKeys: { default: string };
  };
  const exited = (): Promise<void> =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise((resolve) => child.once('exit', () => resolve()));
  return {
    baseUrl,
    port,
    stateDir,
    hostId,
    functionKey: keys.functionKeys.default,
    masterKey: keys.masterKey,
    child,
    output: () => text,
    async waitForOutput(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(text)) {
        if (Date.now() > deadline) throw new Error(`output never matched ${pattern}:\n${text}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      child.kill('SIGTERM');
      await exited();
    },
    async kill() {
      child.kill('SIGKILL');
      await exited();
    },
    options: () => ({ appDir: opts.appDir, stateDir, hostId, port, env }),
  };
}
