import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { sameProcessRunning, startIdentity } from './processes';
import { DeployedServer, Deployer, DeploymentRequest, DeploymentStatus } from '../../ports/deployer';

export interface LocalScorerOptions {
  /** Where each deployment keeps its state file and log. */
  rootDir: string;
  /** The compiled model server, `dist/scoring/main.js`. */
  scorerEntry: string;
  /** Lets the scorer read packages from Azurite; in Azure the scorer uses its managed identity. */
  storageConnectionString?: string;
  host?: string;
}

interface DeploymentFile {
  name: string;
  pid: number;
  port: number;
  model: string;
  version: number;
  /** The process's start time (from /proc), so a pid the OS has since reused is never taken for the scorer. */
  startIdentity?: string;
  tags?: Record<string, string>;
  deleted?: boolean;
}

const safeName = /^[a-z0-9][a-z0-9._-]{0,120}$/;

/** Whether the recorded scorer process still runs: the pid is alive and is the same process that was started. */
function running(file: DeploymentFile): boolean {
  return !file.deleted && sameProcessRunning(file.pid, file.startIdentity);
}

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Deploys a model version as a local model-server process on loopback. The process is detached,
 * so deployments outlive a restart of the Functions host, as container groups outlive it in Azure.
 */
export class LocalScorerDeployer implements Deployer {
  readonly kind = 'local';
  readonly #host: string;
  /** Begins in progress in this process, so two concurrent begins of one name start one server. */
  readonly #beginning = new Map<string, Promise<void>>();

  constructor(private readonly opts: LocalScorerOptions) {
    this.#host = opts.host ?? '127.0.0.1';
  }

  #file(name: string): string {
    if (!safeName.test(name)) throw new Error(`invalid deployment name ${JSON.stringify(name)}`);
    return path.join(this.opts.rootDir, `${name}.json`);
  }

  #read(name: string): DeploymentFile | undefined {
    try {
      return JSON.parse(fs.readFileSync(this.#file(name), 'utf8')) as DeploymentFile;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /**
   * Idempotent: a deployment whose recorded scorer still runs (started by this adapter or by one before a host
   * restart, on the same state dir) is adopted, never started a second time.
   */
  beginDeploy(request: DeploymentRequest): Promise<void> {
    const pending = this.#beginning.get(request.name);
    if (pending) return pending;
    const begun = this.#begin(request).finally(() => this.#beginning.delete(request.name));
    this.#beginning.set(request.name, begun);
    return begun;
  }

  async #begin(request: DeploymentRequest): Promise<void> {
    const existing = this.#read(request.name);
    if (existing && running(existing)) return;
    fs.mkdirSync(this.opts.rootDir, { recursive: true });
    const port = await freePort(this.#host);
    const log = fs.openSync(path.join(this.opts.rootDir, `${request.name}.log`), 'a');
    const child = spawn(
      process.execPath,
      [this.opts.scorerEntry, '--package', request.packageUri, '--port', String(port), '--host', this.#host],
      {
        detached: true,
        stdio: ['ignore', log, log],
        env: {
          PATH: process.env.PATH,
          MODEL_NAME: request.model,
          MODEL_VERSION: String(request.version),
          ...(this.opts.storageConnectionString ? { MODEL_STORAGE_CONNECTION: this.opts.storageConnectionString } : {}),
        },
      },
    );
    fs.closeSync(log);
    child.unref();
    const pid = child.pid ?? 0;
    this.#write({
      name: request.name,
      pid,
      port,
      model: request.model,
      version: request.version,
      startIdentity: pid ? startIdentity(pid) : undefined,
      tags: request.tags,
    });
  }

  async getDeployment(name: string): Promise<DeploymentStatus | undefined> {
    const file = this.#read(name);
    if (!file) return undefined;
    if (file.deleted) return { state: 'deleted' };
    const endpoint = `http://${this.#host}:${file.port}`;
    if (!running(file))
      return {
        state: 'failed',
        endpoint,
        error: `the scorer process ${file.pid} exited; see ${path.join(this.opts.rootDir, `${name}.log`)}`,
      };
    try {
      const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(2000) });
      const body = (await res.json()) as { status?: string; error?: { message?: string } };
      if (res.ok) return { state: 'running', endpoint };
      if (body.status === 'failed')
        return { state: 'failed', endpoint, error: body.error?.message ?? 'the scorer could not load its model' };
      return { state: 'creating', endpoint };
    } catch {
      return { state: 'creating', endpoint };
    }
  }

  async delete(name: string): Promise<void> {
    const file = this.#read(name);
    if (!file || file.deleted) return;
    if (running(file)) process.kill(file.pid, 'SIGTERM');
    this.#write({ ...file, deleted: true });
  }

  /** The scorers that still run, with the tags they were begun with: what the reaper weighs against the registry. */
  async listDeployments(): Promise<DeployedServer[]> {
    let names: string[];
    try {
      names = fs.readdirSync(this.opts.rootDir).filter((f) => f.endsWith('.json'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return names
      .map((f) => this.#read(f.slice(0, -'.json'.length)))
      .filter((file): file is DeploymentFile => file !== undefined && running(file))
      .map((file) => ({ name: file.name, tags: file.tags ?? {} }));
  }

  /** Written whole or not at all: a host killed mid-write must not leave a record that hides a running scorer. */
  #write(file: DeploymentFile): void {
    const target = this.#file(file.name);
    fs.writeFileSync(`${target}.tmp`, JSON.stringify(file, null, 2));
    fs.renameSync(`${target}.tmp`, target);
  }
}
