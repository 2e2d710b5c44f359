import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BlobRef, BlobStore } from '../../ports/blobStore';
import { BatchPartState, BatchRequest, BatchStatus, ClusterRequest, ClusterStatus, ComputeTarget } from '../../ports/computeTarget';
import { permanent } from '../../errors';
import { alive, sameProcessRunning, startIdentity } from './processes';

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

/** Written with the batch folder itself: what to start, and which process is starting it. */
interface SubmissionFile {
  request: BatchRequest;
  owner: ProcessIdentity;
}

interface ProcessIdentity {
  pid: number;
  start?: string;
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

function readPid(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

const thisProcess = (): ProcessIdentity => ({ pid: process.pid, start: startIdentity(process.pid) });

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

  /** Starts in progress in this process, by batch: a poll racing the submit joins it instead of starting another job. */
  readonly #launching = new Map<string, Promise<void>>();

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

  /**
   * The batch folder appears whole, with the request inside, before anything starts; the job's wrapper then records
   * its own pid (`launched`) as its first act. So a host killed anywhere in between leaves a folder that says exactly
   * what to start, and a later poll starts it once (see `#resumeAbandoned`) instead of waiting for a batch that never ran.
   */
  async submitBatch(cluster: string, request: BatchRequest): Promise<{ batchId: string }> {
    const state = await this.getCluster(cluster);
    if (state?.state !== 'running')
      throw permanent('COMPUTE.NOT_RUNNING', `cluster ${cluster} is not running (${state?.state ?? 'missing'})`);
    const dir = this.#batchDir(cluster, request.name);
    if (request.featurizer && !fs.existsSync(this.#featurizerModel(request.featurizer)))
      throw permanent(
        'COMPUTE.FEATURIZER_MISSING',
        `featurizer ${request.featurizer} is not prepared (${this.#featurizerModel(request.featurizer)}); run jobs/setup.sh`,
      );
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    const pending = path.join(path.dirname(dir), `.${request.name}.${process.pid}.pending`);
    fs.rmSync(pending, { recursive: true, force: true });
    fs.mkdirSync(pending);
    writeJson(path.join(pending, 'submission.json'), { request, owner: thisProcess() } satisfies SubmissionFile);
    try {
      fs.renameSync(pending, dir);
    } catch (err) {
      fs.rmSync(pending, { recursive: true, force: true });
      // Submitted before (the activity ran twice): the first submission stands, started now if it never was.
      if (['EEXIST', 'ENOTEMPTY'].includes((err as NodeJS.ErrnoException).code ?? '')) {
        await this.#resumeAbandoned(cluster, request.name);
        return { batchId: request.name };
      }
      throw err;
    }
    await this.#launch(cluster, request);
    return { batchId: request.name };
  }

  #featurizerModel(featurizer: string): string {
    return path.join(this.opts.modelsDir, `${featurizer}-pooled.onnx`);
  }

  #launch(cluster: string, request: BatchRequest): Promise<void> {
    const key = `${cluster}/${request.name}`;
    const pending = this.#launching.get(key);
    if (pending) return pending;
    const launched = this.#stageAndSpawn(cluster, request).finally(() => this.#launching.delete(key));
    this.#launching.set(key, launched);
    return launched;
  }

  async #stageAndSpawn(cluster: string, request: BatchRequest): Promise<void> {
    const dir = this.#batchDir(cluster, request.name);
    const input = await this.#stage(cluster, request.input);
    const args = [`${request.job}.py`, '--input', `file://${input}`, '--output', `file://${path.join(dir, 'output')}`];
    if (request.featurizer)
      args.push(
        '--featurizer',
        this.#featurizerModel(request.featurizer),
        '--features-cache',
        `file://${path.join(this.#clusterDir(cluster), 'features', request.featurizer)}`,
      );
    if (request.model) args.push('--model', `file://${await this.#stage(cluster, request.model)}`);
    args.push(...request.args);
    const log = path.join(dir, 'job.log');
    const exitFile = path.join(dir, 'exitcode');
    const launchedFile = path.join(dir, 'launched');
    const command = `echo $$ > ${JSON.stringify(launchedFile)}; "$0" "$@" > ${JSON.stringify(log)} 2>&1; echo $? > ${JSON.stringify(exitFile)}`;
    const child = spawn('bash', ['-c', command, path.join(this.opts.jobsDir, 'spark-submit.sh'), ...args], {
      cwd: this.opts.jobsDir,
      detached: true,
      stdio: 'ignore',
    });
    child.unref();
    // One line per start: how a crash audit counts a batch that ran twice.
    fs.appendFileSync(path.join(dir, 'launches'), `${new Date().toISOString()} ${child.pid}\n`);
    writeJson(path.join(dir, 'batch.json'), {
      name: request.name,
      pid: child.pid,
      output: request.output,
      startedAt: new Date().toISOString(),
    } satisfies BatchFile);
  }

  /**
   * A batch folder without `batch.json` after its submitter died: if the job's wrapper got as far as `launched`, the
   * job runs (or ran) and only its record is missing; otherwise nothing ever started, and it starts now, once.
   */
  async #resumeAbandoned(cluster: string, batchId: string): Promise<BatchFile | undefined> {
    const dir = this.#batchDir(cluster, batchId);
    const recorded = readJson<BatchFile>(path.join(dir, 'batch.json'));
    if (recorded || fs.existsSync(path.join(dir, 'killed'))) return recorded;
    const submission = readJson<SubmissionFile>(path.join(dir, 'submission.json'));
    if (!submission) return undefined;
    const launchedPid = readPid(path.join(dir, 'launched'));
    if (launchedPid !== undefined) {
      const batch: BatchFile = {
        name: batchId,
        pid: launchedPid,
        output: submission.request.output,
        startedAt: fs.statSync(path.join(dir, 'launched')).mtime.toISOString(),
      };
      writeJson(path.join(dir, 'batch.json'), batch);
      return batch;
    }
    const ours = submission.owner.pid === process.pid && submission.owner.start === thisProcess().start;
    if (ours ? this.#launching.has(`${cluster}/${batchId}`) : sameProcessRunning(submission.owner.pid, submission.owner.start))
      return undefined;
    writeJson(path.join(dir, 'submission.json'), { ...submission, owner: thisProcess() } satisfies SubmissionFile);
    await this.#launch(cluster, submission.request);
    return readJson<BatchFile>(path.join(dir, 'batch.json'));
  }

  async getBatch(cluster: string, batchId: string): Promise<BatchStatus | undefined> {
    const dir = this.#batchDir(cluster, batchId);
    if (fs.existsSync(path.join(dir, 'killed'))) return { state: 'killed' };
    const batch = await this.#resumeAbandoned(cluster, batchId);
    if (!batch) return fs.existsSync(dir) ? { state: 'starting' } : undefined;
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
    if (!fs.existsSync(dir) || fs.existsSync(path.join(dir, 'exitcode'))) return;
    // Written first, so a batch that never started is not started by a later poll either.
    fs.writeFileSync(path.join(dir, 'killed'), new Date().toISOString());
    const pid = readJson<BatchFile>(path.join(dir, 'batch.json'))?.pid ?? readPid(path.join(dir, 'launched'));
    // The batch runs in its own process group: end spark-submit and its JVM together.
    if (pid && alive(pid)) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        process.kill(pid, 'SIGTERM');
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
    await this.#uploadOnce(path.join(dir, `uploaded-${part}`), partDir, {
      container: batch.output.container,
      prefix: `${batch.output.prefix}${part}/`,
    });
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
    // Parts a grid batch's poll already brought over need not travel again.
    const uploadedParts = new Set(
      fs
        .readdirSync(dir)
        .filter((f) => f.startsWith('uploaded-'))
        .map((f) => f.slice('uploaded-'.length)),
    );
    await this.#uploadOnce(
      path.join(dir, 'uploaded'),
      path.join(dir, 'output'),
      output,
      (file) => !uploadedParts.has(file.split(path.sep)[0]),
    );
  }

  /**
   * Uploads a folder unless its marker says it was, and the marker's last blob is still there: storage that lost
   * acknowledged writes in a crash gets them again from the batch folder, which is the truth for a local batch.
   */
  async #uploadOnce(marker: string, root: string, output: BatchRequest['output'], include?: (file: string) => boolean): Promise<void> {
    const last = fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8').trim() : undefined;
    if (last !== undefined && (last === '' || (await this.opts.blobs.getInfo({ container: output.container, name: last })))) return;
    const uploadedLast = await this.#uploadFiles(root, output, include);
    fs.writeFileSync(marker, uploadedLast ?? '');
  }

  /** Returns the name of the last blob written (the `_SUCCESS` when there is one). */
  async #uploadFiles(
    root: string,
    output: BatchRequest['output'],
    include: (file: string) => boolean = () => true,
  ): Promise<string | undefined> {
    const files = fs.existsSync(root)
      ? (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) => include(f) && fs.statSync(path.join(root, f)).isFile())
      : [];
    // `_SUCCESS` goes last, as the job wrote it: a reader that sees it sees everything.
    const ordered = [...files.filter((f) => path.basename(f) !== '_SUCCESS'), ...files.filter((f) => path.basename(f) === '_SUCCESS')];
    await this.opts.blobs.ensureContainer(output.container);
    let last: string | undefined;
    for (const file of ordered) {
      // Hadoop's local checksum files mean nothing once the output is in blob storage.
      if (file.endsWith('.crc')) continue;
      last = `${output.prefix}${file.split(path.sep).join('/')}`;
      await this.opts.blobs.create({ container: output.container, name: last }, fs.readFileSync(path.join(root, file)));
    }
    return last;
  }
}
