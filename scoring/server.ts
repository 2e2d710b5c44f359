import http, { IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { LoadedPackage } from './modelPackage';
import { Predictor, ScoreInput, ScoreInputError } from './predictor';

export interface ScoringServerOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  maxRows: number;
  /** Model name and version reported with every prediction. */
  model: string;
  version: string;
  load: () => Promise<LoadedPackage>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': text.length }).end(text);
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  if (Number(req.headers['content-length'] ?? 0) > limit)
    throw new HttpError(413, 'SCORE.TOO_LARGE', `the body is larger than ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, 'SCORE.TOO_LARGE', `the body is larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const base64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function parseScoreRequest(body: Buffer, maxRows: number): ScoreInput {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'SCORE.BAD_JSON', 'the body is not valid JSON');
  }
  const request = json as Record<string, unknown>;
  if (!request || typeof request !== 'object' || Array.isArray(request))
    throw new HttpError(400, 'SCORE.BAD_INPUT', 'send a JSON object with "data", "images" or "rows"');
  const given = ['data', 'images', 'rows'].filter((k) => k in request);
  if (given.length !== 1) throw new HttpError(400, 'SCORE.BAD_INPUT', 'send exactly one of "data", "images" or "rows"');
  const items = request[given[0]];
  if (!Array.isArray(items) || items.length === 0) throw new HttpError(400, 'SCORE.BAD_INPUT', `"${given[0]}" must be a non-empty array`);
  if (items.length > maxRows) throw new HttpError(400, 'SCORE.TOO_MANY_ROWS', `at most ${maxRows} rows per request (got ${items.length})`);
  if (given[0] === 'data') {
    items.forEach((row, i) => {
      if (!Array.isArray(row) || row.some((v) => typeof v !== 'number' || !Number.isFinite(v)))
        throw new HttpError(400, 'SCORE.BAD_INPUT', `data[${i}] must be an array of numbers`);
    });
    return { kind: 'pixels', rows: items as number[][] };
  }
  if (given[0] === 'images') {
    return {
      kind: 'images',
      images: items.map((item, i) => {
        const text = typeof item === 'string' ? item.replace(/^data:[^;]+;base64,/, '').replace(/\s+/g, '') : '';
        if (text === '' || text.length % 4 !== 0 || !base64.test(text))
          throw new HttpError(400, 'SCORE.BAD_BASE64', `images[${i}] is not base64`);
        return Buffer.from(text, 'base64');
      }),
    };
  }
  items.forEach((row, i) => {
    if (!row || typeof row !== 'object' || Array.isArray(row))
      throw new HttpError(400, 'SCORE.BAD_INPUT', `rows[${i}] must be an object of column values`);
  });
  return { kind: 'rows', rows: items as Record<string, unknown>[] };
}

/**
 * The model server that deployments run: `/health` is ready only once the package is loaded,
 * verified and a warm-up inference passed; `/score` answers predictions; `/metadata` describes the model.
 */
export class ScoringServer {
  #predictor: Predictor | undefined;
  #loadError: string | undefined;
  readonly #server: http.Server;

  constructor(private readonly opts: ScoringServerOptions) {
    this.#server = http.createServer((req, res) => {
      this.#handle(req, res).catch((err: Error) => {
        if (err instanceof HttpError) send(res, err.status, { error: { code: err.code, message: err.message } });
        else if (err instanceof ScoreInputError) send(res, 400, { error: { code: err.code, message: err.message } });
        else send(res, 500, { error: { code: 'SCORE.FAILED', message: err.message } });
      });
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    void this.#load();
    return (this.#server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeIdleConnections();
    });
  }

  async #load(): Promise<void> {
    try {
      const pkg = await this.opts.load();
      const predictor = await Predictor.create(pkg);
      await predictor.predict(warmUpInput(predictor));
      this.#predictor = predictor;
    } catch (err) {
      this.#loadError = (err as Error).message;
    }
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://scorer').pathname;
    if (req.method === 'GET' && path === '/health') {
      if (this.#predictor) return send(res, 200, { status: 'ready', model: this.opts.model, version: this.opts.version });
      return send(res, 503, { status: this.#loadError ? 'failed' : 'loading', error: this.#loadError });
    }
    const predictor = this.#predictor;
    if (req.method === 'GET' && path === '/metadata') {
      if (!predictor) throw new HttpError(503, 'SCORE.NOT_READY', 'the model is not loaded yet');
      const m = predictor.manifest;
      return send(res, 200, {
        model: this.opts.model,
        version: this.opts.version,
        task: m.task,
        labels: m.labels,
        inputs: m.model.inputs,
        preprocessing: m.preprocessing,
        metrics: m.metrics,
        lineage: m.lineage,
      });
    }
    if (path === '/score') {
      if (req.method !== 'POST') throw new HttpError(405, 'SCORE.METHOD', 'POST a JSON body to /score');
      if (!predictor) throw new HttpError(503, 'SCORE.NOT_READY', 'the model is not loaded yet');
      const input = parseScoreRequest(await readBody(req, this.opts.maxBodyBytes), this.opts.maxRows);
      const predictions = await predictor.predict(input);
      return send(res, 200, { model: this.opts.model, version: this.opts.version, predictions });
    }
    throw new HttpError(404, 'SCORE.NOT_FOUND', `no endpoint ${req.method} ${path}`);
  }
}

function warmUpInput(predictor: Predictor): ScoreInput {
  const m = predictor.manifest;
  if (m.task === 'image-classification') return { kind: 'pixels', rows: [new Array<number>(28 * 28).fill(0)] };
  return { kind: 'rows', rows: [Object.fromEntries(m.model.inputs.map((i) => [i.name, i.dtype === 'string' ? '' : 0]))] };
}
