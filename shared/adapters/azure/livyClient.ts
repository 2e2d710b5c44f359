import https from 'node:https';
import { CanopyError, ErrorCode, parseRetryAfter, transientError } from '../../errors';
import { BatchState } from '../../ports/computeTarget';

/** A Livy batch object (Livy REST API: `id`, `name`, `appId`, `state`, the last `log` lines). */
export interface LivyBatch {
  id: number;
  name?: string | null;
  appId?: string | null;
  state: string;
  log?: string[];
}

/** The body of `POST /batches`. */
export interface LivyBatchRequest {
  file: string;
  pyFiles?: string[];
  archives?: string[];
  args?: string[];
  name?: string;
  conf?: Record<string, string>;
}

function livyCode(status: number): { code: ErrorCode; transient: boolean } {
  if (status === 429) return { code: 'LIVY.THROTTLED', transient: true };
  if (status === 408 || status >= 500) return { code: 'LIVY.UNAVAILABLE', transient: true };
  if (status === 401 || status === 403) return { code: 'LIVY.FORBIDDEN', transient: false };
  if (status === 404) return { code: 'LIVY.NOT_FOUND', transient: false };
  if (status === 409) return { code: 'LIVY.CONFLICT', transient: false };
  return { code: 'LIVY.BAD_REQUEST', transient: false };
}

/** Livy (or the gateway in front of it) answered an error status; `code` and `transient` follow the status. */
export class LivyError extends CanopyError {
  constructor(
    readonly status: number,
    message: string,
    retryAfterMs?: number,
  ) {
    const { code, transient } = livyCode(status);
    super(code, message, transient, { status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  }
}

/** Livy's batch states onto the port's: not yet running, running, and the three ends. */
export function toBatchState(livyState: string): BatchState {
  switch (livyState) {
    case 'running':
    case 'busy':
    case 'idle':
      return 'running';
    case 'success':
      return 'success';
    case 'dead':
    case 'error':
      return 'dead';
    case 'killed':
    case 'shutting_down':
      return 'killed';
    default:
      // not_started, starting, recovering
      return 'starting';
  }
}

export interface LivyClientOptions {
  /** The cluster's Livy base URL, e.g. `https://<cluster>.azurehdinsight.net/livy`. */
  baseUrl: string;
  username: string;
  password: () => Promise<string>;
  agent?: https.Agent;
}

const listPageSize = 100;

/** A client of one cluster's Livy batches, through the HDInsight gateway (basic auth, `X-Requested-By` on writes). */
export class LivyClient {
  constructor(private readonly opts: LivyClientOptions) {}

  async submit(request: LivyBatchRequest): Promise<LivyBatch> {
    return (await this.#call<LivyBatch>('POST', '/batches', request)) as LivyBatch;
  }

  /** Every batch Livy still knows, paging through `GET /batches?from=&size=`. */
  async list(): Promise<LivyBatch[]> {
    const all: LivyBatch[] = [];
    for (let from = 0; ; from += listPageSize) {
      const page = (await this.#call<{ total: number; sessions: LivyBatch[] }>('GET', `/batches?from=${from}&size=${listPageSize}`))!;
      all.push(...page.sessions);
      if (page.sessions.length < listPageSize || all.length >= page.total) return all;
    }
  }

  /** The batch, or undefined when Livy does not know it (404). */
  async get(id: number): Promise<LivyBatch | undefined> {
    return this.#call<LivyBatch>('GET', `/batches/${id}`, undefined, true);
  }

  /** The last `lines` lines of the batch's log. */
  async logTail(id: number, lines: number): Promise<string[]> {
    const page = await this.#call<{ log: string[] }>('GET', `/batches/${id}/log?size=${lines}`, undefined, true);
    return page?.log ?? [];
  }

  /** Kills (and forgets) the batch; one Livy no longer knows is fine. */
  async delete(id: number): Promise<void> {
    await this.#call('DELETE', `/batches/${id}`, undefined, true);
  }

  async #call<T>(method: string, path: string, body?: unknown, missingIsUndefined = false): Promise<T | undefined> {
    const password = await this.opts.password();
    const auth = Buffer.from(`${this.opts.username}:${password}`).toString('base64');
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const { status, text, retryAfter } = await new Promise<{ status: number; text: string; retryAfter?: string }>((resolve, reject) => {
      // No answer at all (refused, reset, timed out): the gateway may come back.
      const unreachable = (err: NodeJS.ErrnoException) =>
        reject(transientError('LIVY.UNAVAILABLE', `Livy ${method} ${path} failed: ${err.message}`, { errno: err.code }));
      const req = https.request(
        `${this.opts.baseUrl}${path}`,
        {
          method,
          agent: this.opts.agent,
          timeout: 30_000,
          headers: {
            authorization: `Basic ${auth}`,
            // HDInsight's Livy refuses writes without it (CSRF protection).
            'x-requested-by': 'canopy',
            accept: 'application/json',
            ...(payload ? { 'content-type': 'application/json' } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), retryAfter: res.headers['retry-after'] }),
          );
          res.on('error', unreachable);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`Livy ${method} ${path} timed out`)));
      req.on('error', unreachable);
      req.end(payload);
    });
    if (status === 404 && missingIsUndefined) return undefined;
    if (status >= 400)
      throw new LivyError(status, `Livy ${method} ${path} answered ${status}: ${livyMessage(text)}`, parseRetryAfter(retryAfter));
    return text ? (JSON.parse(text) as T) : undefined;
  }
}

function livyMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { msg?: string };
    return body.msg ?? text.slice(0, 500);
  } catch {
    return text.slice(0, 500);
  }
}
