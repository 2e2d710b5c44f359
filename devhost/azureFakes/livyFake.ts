import { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import { AddressInfo } from 'node:net';
import { BlobStore } from '../../shared/ports/blobStore';
import { BatchState, SparkJob } from '../../shared/ports/computeTarget';
import { GatewayCredentials } from './hdinsightClusters';
import { LivyJob, LivyRunner } from './livyRunners';
import { loopbackTls } from './loopbackTls';
import { readRequestBody } from './requestBody';

/**
 * A fake of HDInsight's Livy endpoint (`https://<cluster>.azurehdinsight.net/livy`), served on loopback HTTPS as
 * `/<cluster>/livy/...` (so CANOPY_LIVY_ENDPOINT is `https://127.0.0.1:<port>/{cluster}/livy`). It follows Livy's REST
 * API: `POST /batches` → 201 with the batch and `Location`; `GET /batches` (from, size), `/batches/{id}`,
 * `/batches/{id}/state`, `/batches/{id}/log?from=&size=`; `DELETE /batches/{id}`; 404 for an unknown batch, 400 for a
 * duplicate name or a POST/DELETE without `X-Requested-By` (HDInsight's CSRF protection), 401 without the cluster's
 * gateway credentials (basic auth). The job file and its abfs inputs must exist in the cluster storage (Azurite under
 * `account`), and a runner runs the batch: local Spark for real, or recorded outcomes.
 *
 * As Livy 0.7 does (server/.../SessionManager.scala, SessionServlet.scala): a finished batch is forgotten
 * `livy.server.session.state-retain.sec` after it ended (600 s by default; `stateRetainMs` here) and at once after
 * DELETE — both then answer 404; a log page is `{ id, from, total, log }`, the last `size` (default 100, negative: all)
 * lines without `from`, the lines being `stdout: `, the driver's stdout, `\nstderr: `, its stderr, `\nYARN Diagnostics: `.
 * The body is read as Livy's CreateBatchRequest (server/.../batch/CreateBatchRequest.scala) is: `pyFiles`, `archives`
 * lists of strings and `conf` a map of strings (scalars read as strings, anything else a 400), and conf keys of Livy's
 * default spark-blacklist.conf refused; like `pyFiles`, an `archives` entry (less its `#alias`) that is not in the
 * cluster storage kills the batch as YARN's localization would.
 */
export interface LivyFakeOptions {
  /** The gateway credentials of a running cluster; undefined when there is no such (running) cluster. */
  gateway(cluster: string): GatewayCredentials | undefined;
  runner: LivyRunner;
  /** The cluster storage: abfs paths `abfs://<container>@<account>.dfs.core.windows.net/<name>` are read here. */
  storage: BlobStore;
  account: string;
  /** How long a finished batch is kept (livy.server.session.state-retain.sec); default 600 s. */
  stateRetainMs?: number;
}

export interface LoggedLivyRequest {
  method: string;
  path: string;
  status: number;
  body: unknown;
}

interface Batch {
  id: number;
  name?: string;
  cluster: string;
  job: LivyJob;
  state: BatchState | 'not_started';
  log: string[];
  ended: boolean;
  endedAt?: number;
}

const defaultStateRetainMs = 600_000;
const stateCheckMs = 1000;
const livyLog = (stdout: string[], stderr: string[]): string[] => ['stdout: ', ...stdout, '\nstderr: ', ...stderr, '\nYARN Diagnostics: '];

const jobs: readonly SparkJob[] = ['image_train', 'workload_etl', 'workload_train', 'batch_score'];

class LivyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class LivyFake {
  readonly requests: LoggedLivyRequest[] = [];
  readonly #batches: Batch[] = [];
  readonly #everSubmitted: Batch[] = [];
  readonly #server: https.Server;
  readonly #stateCheck: NodeJS.Timeout;
  #nextId = 0;
  #retainMs: number;
  #url = '';
  #withoutNames = false;
  #loseNextSubmitAnswer = false;

  constructor(private readonly opts: LivyFakeOptions) {
    this.#server = https.createServer(loopbackTls(), (req, res) => {
      this.#serve(req, res).catch((err: Error) => send(res, 500, { msg: err.message }));
    });
    // Livy follows its batches' YARN state on its own, so a batch ends (and its retain time runs) unpolled.
    this.#stateCheck = setInterval(() => void this.#collectGarbage().catch(() => undefined), stateCheckMs);
    this.#stateCheck.unref();
    this.#retainMs = opts.stateRetainMs ?? defaultStateRetainMs;
  }

  /** Sets livy.server.session.state-retain.sec (in ms), e.g. for a test of a batch forgotten before its next poll. */
  retainFinishedBatchesFor(ms: number): void {
    this.#retainMs = ms;
  }

  /** Answers batches without `name`, as older Livy builds do. */
  answerWithoutNames(): void {
    this.#withoutNames = true;
  }

  /** Accepts the next `POST /batches` and then drops the connection, as a gateway timeout or a lost answer does. */
  loseNextSubmitAnswer(): void {
    this.#loseNextSubmitAnswer = true;
  }

  /** The Livy endpoint template with `{cluster}`, for CANOPY_LIVY_ENDPOINT. */
  get endpoint(): string {
    return `${this.#url}/{cluster}/livy`;
  }

  async listen(port = 0): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, '127.0.0.1', () => resolve());
    });
    this.#url = `https://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    clearInterval(this.#stateCheck);
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** The batches submitted to a cluster, with their current state. */
  async batches(cluster: string): Promise<{ id: number; name?: string; state: string; job: LivyJob }[]> {
    await this.#collectGarbage();
    const mine = this.#batches.filter((b) => b.cluster === cluster);
    for (const batch of mine) await this.#refresh(batch);
    return mine.map((b) => ({ id: b.id, name: b.name, state: b.state, job: b.job }));
  }

  /** Every batch ever submitted to a cluster, with its last known state, including those Livy has since forgotten. */
  async submitted(cluster: string): Promise<{ id: number; name?: string; state: string; job: LivyJob }[]> {
    const mine = this.#everSubmitted.filter((b) => b.cluster === cluster);
    for (const batch of mine) if (this.#batches.includes(batch)) await this.#refresh(batch);
    return mine.map((b) => ({ id: b.id, name: b.name, state: b.state, job: b.job }));
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const method = req.method ?? 'GET';
    const { json } = await readRequestBody(req);
    const entry: LoggedLivyRequest = { method, path: url.pathname, status: 0, body: json };
    this.requests.push(entry);
    let status = 200;
    let body: unknown;
    let headers: Record<string, string> = {};
    try {
      ({ status, body, headers = {} } = await this.#answer(req, method, url, entry.body));
    } catch (err) {
      if (!(err instanceof LivyError)) throw err;
      status = err.status;
      body = { msg: err.message };
      if (status === 401) headers = { 'www-authenticate': 'Basic realm="HDInsight"' };
    }
    entry.status = status;
    if (method === 'POST' && status === 201 && this.#loseNextSubmitAnswer) {
      this.#loseNextSubmitAnswer = false;
      res.destroy();
      return;
    }
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    send(res, status, this.#withoutNames ? withoutName(body) : body);
  }

  async #answer(
    req: IncomingMessage,
    method: string,
    url: URL,
    body: unknown,
  ): Promise<{ status: number; body?: unknown; headers?: Record<string, string> }> {
    const match = /^\/([a-z0-9-]+)\/livy\/batches(?:\/(\d+)(?:\/(state|log))?)?\/?$/.exec(url.pathname);
    const gateway = match ? this.opts.gateway(match[1]) : undefined;
    // The gateway answers before Livy: no cluster (or a wrong password) is 401/404 whatever the path.
    if (!match || !gateway) throw new LivyError(404, `no cluster answers at ${url.pathname}`);
    const expected = `Basic ${Buffer.from(`${gateway.username}:${gateway.password}`).toString('base64')}`;
    if (req.headers.authorization !== expected) throw new LivyError(401, 'Unauthorized: the gateway credentials are missing or wrong.');
    if (method !== 'GET' && !req.headers['x-requested-by']) throw new LivyError(400, 'Missing Required Header for CSRF protection.');
    const [, cluster, idText, sub] = match;
    await this.#collectGarbage();
    if (!idText) {
      if (method === 'POST') return this.#submit(cluster, body);
      if (method !== 'GET') throw new LivyError(405, `${method} is not allowed on /batches`);
      const from = Number(url.searchParams.get('from') ?? 0);
      const size = Number(url.searchParams.get('size') ?? 100);
      const all = this.#batches.filter((b) => b.cluster === cluster);
      for (const batch of all) await this.#refresh(batch);
      return { status: 200, body: { from, total: all.length, sessions: all.slice(from, from + size).map(view) } };
    }
    const batch = this.#batches.find((b) => b.cluster === cluster && b.id === Number(idText));
    if (!batch) throw new LivyError(404, `Session '${idText}' not found.`);
    if (method === 'DELETE' && !sub) {
      await this.#refresh(batch);
      if (!batch.ended) await this.opts.runner.kill(batch.job);
      this.#batches.splice(this.#batches.indexOf(batch), 1);
      return { status: 200, body: { msg: 'deleted' } };
    }
    if (method !== 'GET') throw new LivyError(405, `${method} is not allowed here`);
    await this.#refresh(batch);
    if (sub === 'state') return { status: 200, body: { id: batch.id, state: batch.state } };
    if (sub === 'log') {
      const asked = Number(url.searchParams.get('size') ?? 100);
      const size = asked < 0 ? batch.log.length : asked;
      const askedFrom = Number(url.searchParams.get('from') ?? -1);
      const from = askedFrom < 0 ? Math.max(0, batch.log.length - size) : askedFrom;
      return { status: 200, body: { id: batch.id, from, total: batch.log.length, log: batch.log.slice(from, from + size) } };
    }
    return { status: 200, body: view(batch) };
  }

  async #submit(cluster: string, body: unknown): Promise<{ status: number; body: unknown; headers: Record<string, string> }> {
    const request = (body && typeof body === 'object' ? body : {}) as {
      file?: unknown;
      args?: unknown;
      name?: unknown;
      pyFiles?: unknown;
      archives?: unknown;
      conf?: unknown;
    };
    if (typeof request.file !== 'string') throw new LivyError(400, 'Rejected, Reason: requirement failed: file is required');
    const archives = stringList(request.archives, 'archives');
    const blacklisted = Object.keys(stringMap(request.conf, 'conf')).filter((key) => blacklistedConf.includes(key));
    if (blacklisted.length > 0) throw new LivyError(400, `Blacklisted configuration values in session config: ${blacklisted.join(', ')}`);
    const name = typeof request.name === 'string' ? request.name : undefined;
    if (name && this.#batches.some((b) => b.cluster === cluster && b.name === name && !b.ended))
      throw new LivyError(400, `Duplicate session name: ${name}`);
    const args = Array.isArray(request.args) ? request.args.map(String) : [];
    const id = this.#nextId++;
    const job = await this.#parseJob(cluster, String(id), request.file, args, [
      ...stringList(request.pyFiles, 'pyFiles'),
      ...archives.map((archive) => archive.split('#')[0]),
    ]);
    const batch: Batch = { id, name, cluster, job: job.job ?? ({} as LivyJob), state: 'starting', log: [], ended: false };
    this.#batches.push(batch);
    this.#everSubmitted.push(batch);
    if (job.problem) {
      batch.state = 'dead';
      batch.ended = true;
      batch.endedAt = Date.now();
      batch.log = livyLog([], [job.problem]);
    } else await this.opts.runner.start(batch.job);
    return { status: 201, body: view(batch), headers: { location: `/batches/${id}` } };
  }

  async #parseJob(
    cluster: string,
    key: string,
    file: string,
    args: string[],
    shipped: string[],
  ): Promise<{ job?: LivyJob; problem?: string }> {
    for (const path of [file, ...shipped]) {
      const ref = this.#abfs(path);
      if (!ref || !(await this.opts.storage.getInfo(ref))) return { problem: `java.io.FileNotFoundException: ${path} does not exist` };
    }
    const jobName = file.split('/').pop()?.replace(/\.py$/, '') as SparkJob;
    if (!jobs.includes(jobName)) return { problem: `unknown job ${file}` };
    const rest: string[] = [];
    const folders: Record<string, { container: string; prefix: string }> = {};
    let featurizer: string | undefined;
    for (let i = 0; i < args.length; i++) {
      const [flag, value] = [args[i], args[i + 1]];
      if (['--input', '--output', '--model'].includes(flag)) {
        const ref = this.#abfs(value);
        if (!ref) return { problem: `${flag} ${value} is not an abfs URI of the cluster storage` };
        folders[flag] = { container: ref.container, prefix: ref.name.endsWith('/') ? ref.name : `${ref.name}/` };
        i++;
      } else if (flag === '--featurizer') {
        const ref = this.#abfs(value);
        if (!ref || !(await this.opts.storage.getInfo(ref))) return { problem: `java.io.FileNotFoundException: ${value} does not exist` };
        featurizer = ref.name
          .split('/')
          .pop()
          ?.replace(/-pooled\.onnx$/, '');
        i++;
      } else if (flag === '--features-cache') i++;
      else rest.push(flag);
    }
    if (!folders['--input'] || !folders['--output']) return { problem: 'the job needs --input and --output' };
    const job: LivyJob = { cluster, key, job: jobName, input: folders['--input'], output: folders['--output'], args: rest };
    if (featurizer) job.featurizer = featurizer;
    if (folders['--model']) job.model = folders['--model'];
    return { job };
  }

  #abfs(uri: string | undefined): { container: string; name: string } | undefined {
    const match = /^abfss?:\/\/([^@/]+)@([^./]+)\.dfs\.core\.windows\.net\/(.*)$/.exec(uri ?? '');
    if (!match || match[2] !== this.opts.account) return undefined;
    return { container: match[1], name: match[3] };
  }

  async #refresh(batch: Batch): Promise<void> {
    if (batch.ended) return;
    const status = await this.opts.runner.status(batch.job);
    batch.state = status.state;
    if (status.log) batch.log = livyLog([], status.log.split('\n'));
    batch.ended = ['success', 'dead', 'killed'].includes(status.state);
    if (batch.ended) batch.endedAt = Date.now();
  }

  /** Forgets the batches that ended longer ago than the retain time. */
  async #collectGarbage(): Promise<void> {
    for (const batch of this.#batches) await this.#refresh(batch);
    const now = Date.now();
    for (let i = this.#batches.length - 1; i >= 0; i--) {
      const endedAt = this.#batches[i].endedAt;
      if (endedAt !== undefined && now - endedAt >= this.#retainMs) this.#batches.splice(i, 1);
    }
  }
}

/** Livy's default spark-blacklist.conf: a batch may not move itself off YARN's cluster mode or swap Spark's own jars. */
const blacklistedConf = ['spark.master', 'spark.submit.deployMode', 'spark.yarn.jar', 'spark.yarn.jars', 'spark.yarn.archive'];

/** A `List[String]` field as Jackson reads it: absent is empty, scalars become strings, anything else is a 400. */
function stringList(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every(isScalar))
    throw new LivyError(400, `Cannot deserialize ${field}: expected a list of strings (scala.collection.immutable.List)`);
  return value.map(String);
}

/** A `Map[String, String]` field as Jackson reads it: absent is empty, scalar values become strings, anything else is a 400. */
function stringMap(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value) || !Object.values(value).every(isScalar))
    throw new LivyError(400, `Cannot deserialize ${field}: expected a map of strings (scala.collection.immutable.Map)`);
  return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, String(entry)]));
}

function isScalar(value: unknown): boolean {
  return ['string', 'number', 'boolean'].includes(typeof value);
}

function view(batch: Batch): Record<string, unknown> {
  return {
    id: batch.id,
    name: batch.name ?? null,
    appId: batch.state === 'starting' ? null : `application_1700000000000_${String(batch.id).padStart(4, '0')}`,
    appInfo: { driverLogUrl: null, sparkUiUrl: null },
    log: batch.log.slice(-10),
    state: batch.state,
  };
}

function withoutName(body: unknown): unknown {
  if (!body || typeof body !== 'object') return body;
  const rest = Object.fromEntries(Object.entries(body).filter(([key]) => key !== 'name'));
  return Array.isArray(rest.sessions) ? { ...rest, sessions: rest.sessions.map(withoutName) } : rest;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(body === undefined ? '' : JSON.stringify(body));
}
