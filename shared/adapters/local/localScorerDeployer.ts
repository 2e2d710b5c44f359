import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Deployer, DeploymentRequest, DeploymentStatus } from '../../ports/deployer';

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
  deleted?: boolean;
}

const safeName = /^[a-z0-9][a-z0-9._-]{0,120}$/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
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

  async beginDeploy(request: DeploymentRequest): Promise<void> {
    const existing = this.#read(request.name);
    if (existing && !existing.deleted && alive(existing.pid)) return;
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
    const file: DeploymentFile = { name: request.name, pid: child.pid ?? 0, port, model: request.model, version: request.version };
    fs.writeFileSync(this.#file(request.name), JSON.stringify(file, null, 2));
  }

  async getDeployment(name: string): Promise<DeploymentStatus | undefined> {
    const file = this.#read(name);
    if (!file) return undefined;
    if (file.deleted) return { state: 'deleted' };
    const endpoint = `http://${this.#host}:${file.port}`;
    if (!alive(file.pid))
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
    if (alive(file.pid)) process.kill(file.pid, 'SIGTERM');
    fs.writeFileSync(this.#file(name), JSON.stringify({ ...file, deleted: true }, null, 2));
  }
}
