import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BlobRef, BlobStore } from '../../ports/blobStore';
import { BatchPartState, BatchRequest, BatchStatus, ClusterRequest, ClusterStatus, ComputeTarget } from '../../ports/computeTarget';
import { permanent } from '../../errors';

export interface LocalSparkOptions {
  /** Where clusters keep their staged inputs, batch folders and logs. */
  rootDir: string;
  jobsDir: string;
  /** Folder of prepared featurizers, `<name>-pooled.onnx`. */
  modelsDir: string;
  blobs: BlobStore;
}

interface ClusterFile {
  name: string;
  state: ClusterStatus['state'];
  error?: string;
  createdAt: string;
}

interface BatchFile {
  name: string;
  pid?: number;
  output: BatchRequest['output'];
  startedAt: string;
}

const logTailLines = 40;
const safeName = /^[a-z0-9][a-z0-9._-]{0,120}$/;

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function writeJson(file: string, value: unknown): void {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(value, null, 2));
  fs.renameSync(temp, file);
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-logTailLines).join('\n');
  } catch {
    return '';
  }
}

/**
 * Local Spark as a compute target. A "cluster" is a folder; each batch is a detached
 * `jobs/spark-submit.sh` process (so it outlives a crash of the Functions host) whose exit code
 * lands in a file. Inputs are staged from blob storage to local disk once per cluster, and a
 * successful batch's output folder is uploaded to its blob location when it is first polled.
 */
export class LocalSparkComputeTarget implements ComputeTarget {
  readonly kind = 'local-spark';

  constructor(private readonly opts: LocalSparkOptions) {}

  #clusterDir(name: string): string {
    if (!safeName.test(name)) throw permanent('COMPUTE.INVALID_NAME', `invalid cluster name ${JSON.stringify(name)}`);
    return path.join(this.opts.rootDir, name);
  }

  #batchDir(cluster: string, batch: string): string {
    if (!safeName.test(batch)) throw permanent('COMPUTE.INVALID_NAME', `invalid batch name ${JSON.stringify(batch)}`);
    return path.join(this.#clusterDir(cluster), 'batches', batch);
  }

  async beginCreateCluster(request: ClusterRequest): Promise<void> {
    const dir = this.#clusterDir(request.name);
    if (readJson<ClusterFile>(path.join(dir, 'cluster.json'))) return;
    fs.mkdirSync(dir, { recursive: true });
    const problem = this.#missingPrerequisite();
    const file: ClusterFile = {
      name: request.name,
      state: problem ? 'failed' : 'running',
      error: problem,
      createdAt: new Date().toISOString(),
    };
    writeJson(path.join(dir, 'cluster.json'), file);
  }

  #missingPrerequisite(): string | undefined {
    if (!fs.existsSync(path.join(this.opts.jobsDir, 'spark-submit.sh'))) return `no jobs/spark-submit.sh under ${this.opts.jobsDir}`;
    if (!fs.existsSync(path.join(this.opts.jobsDir, '.venv', 'bin', 'spark-submit')))
      return 'the jobs virtual environment is missing; run jobs/setup.sh';
    return undefined;
  }

  async getCluster(name: string): Promise<ClusterStatus | undefined> {
    const file = readJson<ClusterFile>(path.join(this.#clusterDir(name), 'cluster.json'));
    return file ? { state: file.state, error: file.error } : undefined;
  }

  async beginDeleteCluster(name: string): Promise<void> {
    const dir = this.#clusterDir(name);
    const file = readJson<ClusterFile>(path.join(dir, 'cluster.json'));
    if (!file || file.state === 'deleted') return;
    const batches = path.join(dir, 'batches');
    for (const batch of fs.existsSync(batches) ? fs.readdirSync(batches) : []) await this.killBatch(name, batch);
    for (const data of ['inputs', 'features']) fs.rmSync(path.join(dir, data), { recursive: true, force: true });
    writeJson(path.join(dir, 'cluster.json'), { ...file, state: 'deleted' });
  }

  async submitBatch(cluster: string, request: BatchRequest): Promise<{ batchId: string }> {
    const state = await this.getCluster(cluster);
    if (state?.state !== 'running')
      throw permanent('COMPUTE.NOT_RUNNING', `cluster ${cluster} is not running (${state?.state ?? 'missing'})`);
    const dir = this.#batchDir(cluster, request.name);
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    try {
      fs.mkdirSync(dir);
    } catch (err) {
      // Submitted before (the activity ran twice): the first submission stands.
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { batchId: request.name };
      throw err;
    }
    const input = await this.#stage(cluster, request.input);
    const args = [`${request.job}.py`, '--input', `file://${input}`, '--output', `file://${path.join(dir, 'output')}`];
    if (request.featurizer) {
      const model = path.join(this.opts.modelsDir, `${request.featurizer}-pooled.onnx`);
      if (!fs.existsSync(model))
        throw permanent('COMPUTE.FEATURIZER_MISSING', `featurizer ${request.featurizer} is not prepared (${model}); run jobs/setup.sh`);
      args.push(
        '--featurizer',
        model,
        '--features-cache',
        `file://${path.join(this.#clusterDir(cluster), 'features', request.featurizer)}`,
      );
    }
    if (request.model) args.push('--model', `file://${await this.#stage(cluster, request.model)}`);
    args.push(...request.args);
    const log = path.join(dir, 'job.log');
    const exitFile = path.join(dir, 'exitcode');
    const command = `"$0" "$@" > ${JSON.stringify(log)} 2>&1; echo $? > ${JSON.stringify(exitFile)}`;
    const child = spawn('bash', ['-c', command, path.join(this.opts.jobsDir, 'spark-submit.sh'), ...args], {
      cwd: this.opts.jobsDir,
      detached: true,
      stdio: 'ignore',
    });
    child.unref();
    writeJson(path.join(dir, 'batch.json'), {
      name: request.name,
      pid: child.pid,
      output: request.output,
      startedAt: new Date().toISOString(),
    } satisfies BatchFile);
    return { batchId: request.name };
  }

  async getBatch(cluster: string, batchId: string): Promise<BatchStatus | undefined> {
    const dir = this.#batchDir(cluster, batchId);
    const batch = readJson<BatchFile>(path.join(dir, 'batch.json'));
    if (!batch) return fs.existsSync(dir) ? { state: 'starting' } : undefined;
    if (fs.existsSync(path.join(dir, 'killed'))) return { state: 'killed' };
    const exit = fs.existsSync(path.join(dir, 'exitcode')) ? fs.readFileSync(path.join(dir, 'exitcode'), 'utf8').trim() : undefined;
    if (exit === undefined) {
      if (alive(batch.pid)) return { state: 'running' };
      return { state: 'dead', log: `the job process ${batch.pid} ended without an exit code\n${tail(path.join(dir, 'job.log'))}` };
    }
    if (exit !== '0') return { state: 'dead', log: `spark-submit exited with ${exit}\n${tail(path.join(dir, 'job.log'))}` };
    await this.#uploadOutput(dir, batch.output);
    return { state: 'success' };
  }

  async killBatch(cluster: string, batchId: string): Promise<void> {
    const dir = this.#batchDir(cluster, batchId);
    const batch = readJson<BatchFile>(path.join(dir, 'batch.json'));
    if (!batch || fs.existsSync(path.join(dir, 'exitcode'))) return;
    fs.writeFileSync(path.join(dir, 'killed'), new Date().toISOString());
    // The batch runs in its own process group: end spark-submit and its JVM together.
    if (batch.pid && alive(batch.pid)) {
      try {
        process.kill(-batch.pid, 'SIGTERM');
      } catch {
        process.kill(batch.pid, 'SIGTERM');
      }
    }
  }

  async getBatchPart(cluster: string, batchId: string, part: string): Promise<BatchPartState | undefined> {
    if (!safeName.test(part)) throw permanent('COMPUTE.INVALID_NAME', `invalid batch part ${JSON.stringify(part)}`);
    const dir = this.#batchDir(cluster, batchId);
    const batch = readJson<BatchFile>(path.join(dir, 'batch.json'));
    if (!batch) return undefined;
    const partDir = path.join(dir, 'output', part);
    const state = fs.existsSync(path.join(partDir, '_SUCCESS'))
      ? 'success'
      : fs.existsSync(path.join(partDir, '_FAILED'))
        ? 'failed'
        : undefined;
    if (!state) return undefined;
    const marker = path.join(dir, `uploaded-${part}`);
    if (!fs.existsSync(marker)) {
      await this.#uploadFiles(partDir, { container: batch.output.container, prefix: `${batch.output.prefix}${part}/` });
      fs.writeFileSync(marker, new Date().toISOString());
    }
    return state;
  }

  outputRef(request: Pick<BatchRequest, 'output'>, file: string): BlobRef {
    return { container: request.output.container, name: `${request.output.prefix}${file}` };
  }

  async #stage(cluster: string, input: BatchRequest['input']): Promise<string> {
    const key = createHash('sha256').update(`${input.container}/${input.prefix}`).digest('hex').slice(0, 16);
    const dir = path.join(this.#clusterDir(cluster), 'inputs', key);
    if (fs.existsSync(path.join(dir, '.staged'))) return dir;
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    let continuation: string | undefined;
    do {
      const page = await this.opts.blobs.list(input.container, input.prefix, { continuation, pageSize: 1000 });
      await Promise.all(
        page.items.map(async (item) => {
          const relative = item.name.slice(input.prefix.length);
          if (relative === '' || relative.split('/').some((part) => part === '..')) return;
          const content = await this.opts.blobs.get({ container: input.container, name: item.name });
          if (!content) return;
          const target = path.join(dir, relative);
          fs.mkdirSync(path.dirname(target), { recursive: true });
          fs.writeFileSync(target, content);
        }),
      );
      continuation = page.next;
    } while (continuation);
    fs.writeFileSync(path.join(dir, '.staged'), new Date().toISOString());
    return dir;
  }

  async #uploadOutput(dir: string, output: BatchRequest['output']): Promise<void> {
    const marker = path.join(dir, 'uploaded');
    if (fs.existsSync(marker)) return;
    // Parts a grid batch's poll already brought over need not travel again.
    const uploadedParts = new Set(
      fs
        .readdirSync(dir)
        .filter((f) => f.startsWith('uploaded-'))
        .map((f) => f.slice('uploaded-'.length)),
    );
    await this.#uploadFiles(path.join(dir, 'output'), output, (file) => !uploadedParts.has(file.split(path.sep)[0]));
    fs.writeFileSync(marker, new Date().toISOString());
  }

  async #uploadFiles(root: string, output: BatchRequest['output'], include: (file: string) => boolean = () => true): Promise<void> {
    const files = fs.existsSync(root)
      ? (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) => include(f) && fs.statSync(path.join(root, f)).isFile())
      : [];
    // `_SUCCESS` goes last, as the job wrote it: a reader that sees it sees everything.
    const ordered = [...files.filter((f) => path.basename(f) !== '_SUCCESS'), ...files.filter((f) => path.basename(f) === '_SUCCESS')];
    await this.opts.blobs.ensureContainer(output.container);
    for (const file of ordered) {
      // Hadoop's local checksum files mean nothing once the output is in blob storage.
      if (file.endsWith('.crc')) continue;
      await this.opts.blobs.create(
        { container: output.container, name: `${output.prefix}${file.split(path.sep).join('/')}` },
        fs.readFileSync(path.join(root, file)),
      );
    }
  }
}
