import http, { IncomingMessage, ServerResponse } from 'node:http';
import net, { AddressInfo } from 'node:net';
import { BodyBudget } from './bodyBudget';
import { HttpError, sendError, sendJson } from './httpError';
import { BatchingMode, batchingEnabled, BatchingOptions, InferenceBatcher } from './inferenceBatcher';
import { publicLineage, requestForms, warmUpInput } from './metadata';
import { LoadedPackage } from './modelPackage';
import { Predictor } from './predictor';
import { readBody } from './requestBody';
import { ScoreInputError } from './scoreInput';
import { parseScoreRequest } from './scoreRequest';

export interface ScoringServerOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  /** Request bodies held at once, across every request: the server's memory bound for what clients send. */
  maxBufferedBodyBytes: number;
  maxRows: number;
  /** Model name and version reported with every prediction. */
  model: string;
  version: string;
  batching: Omit<BatchingOptions, 'enabled'> & { mode: BatchingMode };
  /** onnxruntime intra-op threads per inference. */
  threads: number;
  load: () => Promise<LoadedPackage>;
}

interface Ready {
  predictor: Predictor;
  batcher: InferenceBatcher;
  /** Whether concurrent requests are coalesced, as SCORER_BATCHING decided for this model. */
  batching: boolean;
}

/** The request target's path; a target no URL parser accepts is the client's fault, not the server's. */
function pathOf(target: string): string {
  try {
    return new URL(target, 'http://scorer').pathname;
  } catch {
    throw new HttpError(400, 'SCORE.BAD_INPUT', 'the request target is not a valid path');
  }
}

const routes: Record<string, string> = { '/health': 'GET', '/metadata': 'GET', '/score': 'POST' };

/**
 * The model server that deployments run: `/health` is ready only once the package is loaded,
 * verified and a warm-up inference passed; `/score` answers predictions; `/metadata` describes the model.
 */
export class ScoringServer {
  #ready: Ready | undefined;
  #loadError: string | undefined;
  #stopping = false;
  readonly #pending = new Set<ServerResponse>();
  readonly #server: http.Server;
  readonly #bodies: BodyBudget;

  constructor(private readonly opts: ScoringServerOptions) {
    this.#server = http.createServer((req, res) => this.#onRequest(req, res));
    this.#bodies = new BodyBudget(opts.maxBufferedBodyBytes);
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    void this.#load();
    return (this.#server.address() as AddressInfo).port;
  }

  /**
   * Graceful stop: no new connections; `/health` and anything else that still arrives on an open
   * connection answer 503 and close it; requests in flight finish. Resolves true once every connection
   * is gone, or false when `timeoutMs` passed and the rest were cut.
   */
  shutdown(timeoutMs: number): Promise<boolean> {
    this.#stopping = true;
    for (const res of this.#pending) if (!res.headersSent) res.setHeader('connection', 'close');
    return new Promise((resolve) => {
      const deadline = setTimeout(() => {
        this.#server.closeAllConnections();
        resolve(false);
      }, timeoutMs);
      // net.Server's close stops accepting but, unlike http.Server's, leaves idle keep-alive
      // connections open, so a load balancer's probe on one still sees the 503 while requests finish.
      net.Server.prototype.close.call(this.#server, () => {
        clearTimeout(deadline);
        resolve(true);
      });
      if (this.#pending.size === 0) this.#server.closeIdleConnections();
    });
  }

  async #load(): Promise<void> {
    try {
      const pkg = await this.opts.load();
      const predictor = await Predictor.create(pkg, this.opts.threads);
      await predictor.predict(warmUpInput(predictor.manifest));
      const { mode, ...batching } = this.opts.batching;
      const enabled = batchingEnabled(mode, predictor.manifest.task);
      this.#ready = {
        predictor,
        batching: enabled,
        batcher: new InferenceBatcher((rows) => predictor.infer(rows), { ...batching, enabled }),
      };
    } catch (err) {
      // A missing blob's RestError can carry an empty message; "failed" must still say something.
      this.#loadError = (err as Error).message || `${(err as Error).name || 'Error'} while loading the model package`;
    }
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.#pending.add(res);
    if (this.#stopping) res.setHeader('connection', 'close');
    res.on('close', () => {
      this.#pending.delete(res);
      if (this.#stopping && this.#pending.size === 0) this.#server.closeIdleConnections();
    });
    this.#handle(req, res).catch((err: Error) => {
      if (res.headersSent) return;
      // Node reads and drops what is left of an unread body after the answer, so the client can finish
      // sending and read it; closing the connection instead would reset it under a client still writing.
      if (err instanceof HttpError) sendError(res, err);
      else if (err instanceof ScoreInputError) sendError(res, new HttpError(400, err.code, err.message));
      else sendError(res, new HttpError(500, 'SCORE.FAILED', err.message));
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = pathOf(req.url ?? '/');
    const method = routes[path];
    if (!method) throw new HttpError(404, 'SCORE.NOT_FOUND', `no endpoint ${path}; try GET /health, GET /metadata or POST /score`);
    if (req.method !== method) throw new HttpError(405, 'SCORE.METHOD_NOT_ALLOWED', `${path} takes ${method}`, { allow: method });
    if (path === '/health') return this.#health(res);
    if (this.#stopping) throw new HttpError(503, 'SCORE.STOPPING', 'the server is shutting down');
    const ready = this.#ready;
    if (!ready) throw new HttpError(503, 'SCORE.NOT_READY', 'the model is not loaded yet');
    if (path === '/metadata') return this.#metadata(res, ready);
    const declared = Number(req.headers['content-length']);
    const release = this.#bodies.reserve(
      Number.isSafeInteger(declared) && declared >= 0 ? Math.min(declared, this.opts.maxBodyBytes) : this.opts.maxBodyBytes,
    );
    res.once('close', release);
    const input = parseScoreRequest(req.headers['content-type'], await readBody(req, this.opts.maxBodyBytes), this.opts.maxRows);
    const predictions = await ready.batcher.submit(ready.predictor.encode(input));
    sendJson(res, 200, { model: this.opts.model, version: this.opts.version, predictions });
  }

  #health(res: ServerResponse): void {
    if (this.#stopping) return sendJson(res, 503, { status: 'stopping', model: this.opts.model, version: this.opts.version });
    if (this.#ready) return sendJson(res, 200, { status: 'ready', model: this.opts.model, version: this.opts.version });
    if (this.#loadError) return sendJson(res, 503, { status: 'failed', error: { code: 'SCORE.LOAD_FAILED', message: this.#loadError } });
    sendJson(res, 503, { status: 'loading' });
  }

  #metadata(res: ServerResponse, { predictor, batching }: Ready): void {
    const m = predictor.manifest;
    sendJson(res, 200, {
      model: this.opts.model,
      version: this.opts.version,
      task: m.task,
      labels: m.labels,
      inputs: m.model.inputs,
      outputs: m.model.outputs,
      request: requestForms(m, { maxRows: this.opts.maxRows, maxBodyBytes: this.opts.maxBodyBytes }),
      preprocessing: m.preprocessing,
      metrics: m.metrics,
      lineage: publicLineage(m.lineage),
      createdAt: m.createdAt,
      serving: {
        batching,
        batchMaxRows: this.opts.batching.maxRows,
        batchWindowMs: this.opts.batching.windowMs,
        threads: this.opts.threads,
      },
    });
  }
}
