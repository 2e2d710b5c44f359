import http from 'node:http';
import { AddressInfo } from 'node:net';

/** What a request to the Blob service is, as far as the faults care. */
export type BlobOperation = 'list' | 'copy' | 'syncCopy' | 'properties' | 'other';

export interface BlobFakeRequest {
  method: string;
  /** Path only: query strings may carry a SAS, which the log never keeps. */
  path: string;
  operation: BlobOperation;
  status: number;
  /** For a copy of either kind: whether its source URL carried a SAS signature (the value is not kept). */
  signedSource?: boolean;
}

interface Fault extends Refusal {
  operation: BlobOperation;
  retryAfterSeconds?: number;
}

interface CopyFault {
  /** HEADs left that report the copy pending; then `outcome` shows. */
  pendingPolls: number;
  outcome: 'success' | 'failed';
}

function operationOf(req: http.IncomingMessage, url: URL): BlobOperation {
  if (req.method === 'GET' && url.searchParams.get('comp') === 'list') return 'list';
  if (req.method === 'PUT' && req.headers['x-ms-copy-source']) return req.headers['x-ms-requires-sync'] ? 'syncCopy' : 'copy';
  if (req.method === 'HEAD') return 'properties';
  return 'other';
}

const blobPath = (url: URL): string => decodeURIComponent(url.pathname);

/** Copy Blob From URL copies sources up to 256 MiB; Azure answers a larger one with this 409. */
export const syncCopyMaxBytes = 256 * 2 ** 20;

interface Refusal {
  status: number;
  code: string;
  message: string;
}

const errorBody = ({ code, message }: Refusal): string =>
  `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;

/**
 * A fake of an Azure Storage Blob endpoint for the copier's contract tests: a proxy in front of Azurite (which
 * does the real work, SAS checks included) that injects what Azurite never does — throttling with `Retry-After`,
 * copies that stay pending for a while, and copies that end `failed` — refuses what Azure refuses and Azurite lets
 * through — a Copy Blob From URL whose source is over 256 MiB, or cannot be read with its URL alone — and logs
 * every request.
 */
export class BlobFake {
  readonly requests: BlobFakeRequest[] = [];
  readonly #faults: Fault[] = [];
  readonly #nextCopies: CopyFault[] = [];
  /** Copies under way or failed, by blob path. */
  readonly #copies = new Map<string, CopyFault & { id: string }>();

  private constructor(
    private readonly server: http.Server,
    private readonly upstream: URL,
  ) {}

  /** Starts the fake on an ephemeral loopback port in front of `upstream` (Azurite's blob endpoint, e.g. `http://127.0.0.1:10000`). */
  static async start(upstream: string): Promise<BlobFake> {
    const server = http.createServer();
    const fake = new BlobFake(server, new URL(upstream));
    server.on('request', (req, res) => fake.#handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** The fake's origin; an account's endpoint is `${origin}/${account}` (path-style, as Azurite). */
  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next `count` requests of `operation` answer `status` with a ServerBusy body (and `Retry-After` when given). */
  throttle(operation: BlobOperation, count: number, status: 429 | 503, retryAfterSeconds?: number): void {
    for (let i = 0; i < count; i++)
      this.#faults.push({ operation, status, code: 'ServerBusy', message: 'The server is busy.', retryAfterSeconds });
  }

  /** The next `count` requests of `operation` fail with `status` and the storage error `code`. */
  fail(operation: BlobOperation, count: number, status: number, code: string, message: string): void {
    for (let i = 0; i < count; i++) this.#faults.push({ operation, status, code, message });
  }

  /** The next `count` copies report `pending` on their first `pendingPolls` property reads, then `outcome`. */
  slowCopies(count: number, pendingPolls: number, outcome: 'success' | 'failed' = 'success'): void {
    for (let i = 0; i < count; i++) this.#nextCopies.push({ pendingPolls, outcome });
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', this.origin);
    const operation = operationOf(req, url);
    const entry: BlobFakeRequest = { method: req.method ?? '', path: url.pathname, operation, status: 0 };
    if (operation === 'copy' || operation === 'syncCopy')
      entry.signedSource = new URL(String(req.headers['x-ms-copy-source'])).searchParams.has('sig');
    this.requests.push(entry);
    const fault = this.#faults.findIndex((t) => t.operation === operation);
    if (fault >= 0) {
      const { retryAfterSeconds, ...refusal } = this.#faults.splice(fault, 1)[0];
      this.#refuse(req, res, entry, refusal, retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) });
      return;
    }
    if (operation !== 'syncCopy') {
      this.#forward(req, res, url, operation, entry);
      return;
    }
    this.#checkSyncSource(String(req.headers['x-ms-copy-source'])).then(
      (refusal) => (refusal ? this.#refuse(req, res, entry, refusal) : this.#forward(req, res, url, operation, entry)),
      (err: Error) => this.#refuse(req, res, entry, { status: 502, code: 'BlobFakeUpstream', message: err.message }),
    );
  }

  #refuse(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    entry: BlobFakeRequest,
    refusal: Refusal,
    headers: http.OutgoingHttpHeaders = {},
  ): void {
    entry.status = refusal.status;
    res.writeHead(refusal.status, { 'content-type': 'application/xml', 'x-ms-error-code': refusal.code, ...headers });
    res.end(req.method === 'HEAD' ? undefined : errorBody(refusal));
    req.resume();
  }

  /**
   * Azure reads the source of a Copy Blob From URL with nothing but its URL (a SAS, or public access), and copies at
   * most 256 MiB; Azurite checks neither within one account. The source is looked at upstream, outside the log.
   */
  async #checkSyncSource(copySource: string): Promise<Refusal | undefined> {
    const source = new URL(copySource);
    const answer = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const head = http.request(
        {
          host: this.upstream.hostname,
          port: this.upstream.port,
          method: 'HEAD',
          path: `${source.pathname}${source.search}`,
          headers: { host: source.host },
        },
        resolve,
      );
      head.on('error', reject);
      head.end();
    });
    answer.resume();
    const status = answer.statusCode ?? 502;
    if (status >= 300) return { status, code: 'CannotVerifyCopySource', message: `The copy source could not be read (${status}).` };
    if (Number(answer.headers['content-length'] ?? 0) > syncCopyMaxBytes)
      return {
        status: 409,
        code: 'CannotVerifyCopySource',
        message: 'The source request body for synchronous copy is too large and exceeds the maximum permissible limit (256MB).',
      };
    return undefined;
  }

  #forward(req: http.IncomingMessage, res: http.ServerResponse, url: URL, operation: BlobOperation, entry: BlobFakeRequest): void {
    // The Host header is kept: Azurite lets a copy read another account only when the source is on the host it was asked on.
    const upstream = http.request(
      { host: this.upstream.hostname, port: this.upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          const headers = { ...answer.headers };
          let body: Buffer = Buffer.concat(chunks);
          const status = answer.statusCode ?? 502;
          const path = blobPath(url);
          if (operation === 'copy' && status === 202) this.#startCopy(path, headers);
          if (operation === 'properties' && status === 200) this.#reportCopy(path, headers);
          if (operation === 'list' && status === 200) body = this.#rewriteListing(path, body);
          // The body is buffered (and may be rewritten): it goes back with its length, not chunked.
          delete headers['transfer-encoding'];
          if (req.method !== 'HEAD') headers['content-length'] = String(body.length);
          entry.status = status;
          res.writeHead(status, headers);
          res.end(req.method === 'HEAD' ? undefined : body);
        });
      },
    );
    upstream.on('error', (err) => {
      entry.status = 502;
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`blob fake: upstream ${err.message}`);
    });
    req.pipe(upstream);
  }

  /** Azurite finishes every copy at once; a slow or failing copy is reported pending here instead. */
  #startCopy(path: string, headers: http.IncomingHttpHeaders): void {
    this.#copies.delete(path);
    const fault = this.#nextCopies.shift();
    if (!fault) return;
    this.#copies.set(path, { ...fault, id: String(headers['x-ms-copy-id'] ?? '') });
    headers['x-ms-copy-status'] = 'pending';
  }

  #reportCopy(path: string, headers: http.IncomingHttpHeaders): void {
    const copy = this.#copies.get(path);
    if (!copy) return;
    if (copy.pendingPolls > 0) {
      copy.pendingPolls--;
      headers['x-ms-copy-status'] = 'pending';
      return;
    }
    headers['x-ms-copy-status'] = copy.outcome;
    if (copy.outcome === 'failed') headers['x-ms-copy-status-description'] = '500 InternalError Copy failed when reading the source.';
    else this.#copies.delete(path);
  }

  /** A failed or pending copy also shows in listings of its container, as in Azure. */
  #rewriteListing(containerPath: string, body: Buffer): Buffer {
    if (this.#copies.size === 0) return body;
    const xml = body.toString('utf8').replace(/<Blob>[\s\S]*?<\/Blob>/g, (blob) => {
      const name = /<Name>([^<]*)<\/Name>/.exec(blob)?.[1];
      const copy = name === undefined ? undefined : this.#copies.get(`${containerPath}/${name}`);
      if (!copy) return blob;
      const status = copy.pendingPolls > 0 ? 'pending' : copy.outcome;
      return blob.includes('<CopyStatus>')
        ? blob.replace(/<CopyStatus>[^<]*<\/CopyStatus>/, `<CopyStatus>${status}</CopyStatus>`)
        : blob.replace('</Properties>', `<CopyStatus>${status}</CopyStatus></Properties>`);
    });
    return Buffer.from(xml, 'utf8');
  }
}
