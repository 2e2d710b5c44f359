import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { CosmosModelRegistry } from '../../shared/adapters/azure/cosmosModelRegistry';
import { CosmosResourceLedger } from '../../shared/adapters/azure/cosmosResourceLedger';
import { CosmosRunStore } from '../../shared/adapters/azure/cosmosRunStore';
import { openCanopyContainers } from '../../shared/adapters/azure/cosmosSchema';
import { DevhostProcess, startDevhost } from './devhostProcess';
import { Json } from './json';
import { testCosmosClient, testEndpoints } from './testStack';

export const repoRoot = path.resolve(__dirname, '..', '..');
/** A small Fashion-MNIST sample in the walkthrough's layout, made once per machine by the jobs' importer. */
/** The jobs' virtual environment, Fashion-MNIST and the featurizer (jobs/setup.sh is fast when they are there). */
export function ensureJobsEnvironment(): void {
  const setup = spawnSync('bash', [path.join(repoRoot, 'jobs', 'setup.sh')], { encoding: 'utf8' });
  if (setup.status !== 0) throw new Error(`jobs/setup.sh failed:\n${setup.stdout}\n${setup.stderr}`);
}

export function fashionSample(fraction = 0.005): string {
  // The pipeline needs the jobs' environment whether or not the sample exists yet.
  ensureJobsEnvironment();
  const dir = path.join(os.tmpdir(), `canopy-test-fashion-${fraction}`);
  if (fs.existsSync(path.join(dir, '.complete'))) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  const result = spawnSync(
    path.join(repoRoot, 'jobs', '.venv', 'bin', 'python'),
    [path.join(repoRoot, 'jobs', 'import_fashion_mnist.py'), '--output', dir, '--sample-fraction', String(fraction)],
    {
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) throw new Error(`import_fashion_mnist.py failed:\n${result.stderr}`);
  fs.writeFileSync(path.join(dir, '.complete'), '');
  return dir;
}

export const blobService = BlobServiceClient.fromConnectionString(testEndpoints.storageConnectionString);

export async function uploadFolder(container: string, prefix: string, dir: string): Promise<number> {
  const client = blobService.getContainerClient(container);
  await client.createIfNotExists();
  const files = (fs.readdirSync(dir, { recursive: true }) as string[]).filter(
    (f) => !path.basename(f).startsWith('.') && fs.statSync(path.join(dir, f)).isFile(),
  );
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < files.length) {
        const file = files[next++];
        await client.getBlockBlobClient(`${prefix}${file.split(path.sep).join('/')}`).uploadFile(path.join(dir, file));
      }
    }),
  );
  return files.length;
}

export async function stores() {
  const client = testCosmosClient();
  const containers = await openCanopyContainers(client, 'canopy');
  return {
    runs: new CosmosRunStore(containers.runs),
    registry: new CosmosModelRegistry(containers.models),
    ledger: new CosmosResourceLedger(containers.ledger),
  };
}

export function imageSpec(name: string, classifiers: Json[], extra: Json = {}): Json {
  return {
    name,
    scenario: 'image-classification',
    data: { source: { container: 'canopy-landing', prefix: `${name}/` } },
    compute: { target: 'local-spark', candidateTimeoutMinutes: 20 },
    candidates: { classifiers, maxConcurrent: 2 },
    ...extra,
  };
}

/** The Canopy app on a real devhost against the test stack, with its local compute under a temporary folder. */
export class CanopyUnderTest {
  private constructor(
    public host: DevhostProcess,
    readonly stateDir: string,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<CanopyUnderTest> {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-app-'));
    const host = await startDevhost({
      appDir: repoRoot,
      env: { CANOPY_LOCAL_STATE: stateDir, CANOPY_MODELS_DIR: path.join(repoRoot, '.canopy', 'models'), CANOPY_POLL_SECONDS: '1', ...env },
    });
    return new CanopyUnderTest(host, stateDir);
  }

  async restart(): Promise<void> {
    this.host = await startDevhost(this.host.options());
  }

  async api(
    method: string,
    route: string,
    body?: unknown,
    key: string | null = this.host.functionKey,
  ): Promise<{ status: number; body: Json }> {
    const res = await fetch(`${this.host.baseUrl}/api/${route}`, {
      method,
      headers: { 'content-type': 'application/json', ...(key ? { 'x-functions-key': key } : {}) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Json) : undefined };
  }

  async runView(pipeline: string, instanceId: string): Promise<Json> {
    return (await this.api('GET', `pipelines/${pipeline}/runs/${instanceId}`)).body;
  }

  async waitFor(pipeline: string, instanceId: string, done: (view: Json) => boolean, timeoutMs = 600_000): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const view = await this.runView(pipeline, instanceId).catch(() => undefined);
      if (view && done(view)) return view;
      if (Date.now() > deadline)
        throw new Error(
          `run ${instanceId} did not get there within ${timeoutMs} ms; last view ${JSON.stringify(view)}\n${this.host.output().slice(-4000)}`,
        );
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  waitForEnd(pipeline: string, instanceId: string): Promise<Json> {
    return this.waitFor(pipeline, instanceId, (v) => ['Completed', 'Failed', 'Terminated'].includes(v.orchestration?.runtimeStatus));
  }

  /** The durable management API, with the master key as the extension's system key. */
  async durable(method: string, pathAndQuery: string): Promise<number> {
    const sep = pathAndQuery.includes('?') ? '&' : '?';
    const res = await fetch(
      `${this.host.baseUrl}/runtime/webhooks/durabletask/${pathAndQuery}${sep}code=${encodeURIComponent(this.host.masterKey)}`,
      { method },
    );
    return res.status;
  }

  clusterFile(cluster: string): Json {
    return JSON.parse(fs.readFileSync(path.join(this.stateDir, 'compute', cluster, 'cluster.json'), 'utf8'));
  }

  batchDir(cluster: string, candidateId: string): string {
    return path.join(this.stateDir, 'compute', cluster, 'batches', candidateId);
  }

  /** Stops the host and any model server it deployed (they are detached processes). */
  async stop(): Promise<void> {
    await this.host.stop();
    const dir = path.join(this.stateDir, 'deployments');
    for (const file of fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')) : []) {
      const { pid } = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { pid: number };
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
}
