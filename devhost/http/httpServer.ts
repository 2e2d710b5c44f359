import http, { IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { RpcHttpData, RpcTypedData } from '../coreTypes';
import { Invoker } from '../invoker';
import { HostKeys, isAuthorized } from '../keys';
import { HostLogger } from '../logger';
import { RouteTable } from './routeTable';
import { toRpcHttpRequest, writeHostError, writeRpcHttpResponse } from './rpcHttp';

/**
 * Kestrel's default keep-alive, as the real host has. A client reuses an idle connection until a second before the
 * server's stated timeout, so a short timeout on a loaded machine lets a request cross the server's close of that
 * connection and fail with "other side closed".
 */
export const keepAliveTimeoutMs = 130_000;

export type SystemRouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer) => Promise<void>;

export interface HttpServerOptions {
  host: string;
  port: number;
  routePrefix: string;
  maxBodyBytes: number;
  routes: RouteTable;
  invoker: Invoker;
  keys: HostKeys;
  logger: HostLogger;
  /** Paths below these prefixes are the host's own endpoints (e.g. the Durable webhooks). */
  systemRoutes: Map<string, SystemRouteHandler>;
  status: () => Record<string, unknown>;
}

export class BodyTooLargeError extends Error {}

/**
 * The whole body, or BodyTooLargeError once it passes `limit` (declared or streamed). The rest of an
 * oversized body is read and dropped on the kept-alive connection: closing it instead resets the socket
 * under a client still writing, which then sees EPIPE rather than the 413.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.reject(new BodyTooLargeError());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let oversized = false;
    req.on('data', (chunk: Buffer) => {
      if (oversized) return;
      size += chunk.length;
      if (size > limit) {
        oversized = true;
        chunks.length = 0;
        reject(new BodyTooLargeError());
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      if (!oversized) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

function presentedKey(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers['x-functions-key'];
  if (typeof header === 'string' && header !== '') return header;
  return url.searchParams.get('code') ?? undefined;
}

function httpOutput(
  outputs: { name?: string | null; data?: RpcTypedData | null }[] | null | undefined,
  returnValue: RpcTypedData | null | undefined,
): RpcHttpData | undefined | null {
  if (returnValue?.http) return returnValue.http;
  return outputs?.find((o) => o.data?.http)?.data?.http;
}

export class DevhostHttpServer {
  readonly #opts: HttpServerOptions;
  readonly #server: http.Server;
  #prefix: string;

  constructor(opts: HttpServerOptions) {
    this.#opts = opts;
    this.#prefix = opts.routePrefix.replace(/^\/+|\/+$/g, '');
    this.#server = http.createServer((req, res) => {
      this.#handle(req, res).catch((err: Error) => {
        opts.logger.host('error', `Unhandled error serving ${req.method} ${req.url}: ${err.stack ?? err.message}`);
        if (!res.headersSent) writeHostError(res, 500, 'HOST.INTERNAL', 'The host failed to handle the request.');
        else res.destroy();
      });
    });
    this.#server.keepAliveTimeout = keepAliveTimeoutMs;
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#opts.port, this.#opts.host, () => {
        this.#server.off('error', reject);
        resolve((this.#server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeIdleConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? `${this.#opts.host}:${this.#opts.port}`}`);
    const method = (req.method ?? 'GET').toUpperCase();
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      writeHostError(res, 400, 'HOST.BAD_PATH', 'The request path is not valid percent-encoding.');
      return;
    }

    if (path === '/admin/host/status') {
      const body = Buffer.from(JSON.stringify(this.#opts.status()));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
      return;
    }
    for (const [prefix, handler] of this.#opts.systemRoutes) {
      if (path.startsWith(prefix)) {
        const body = await this.#bodyOr413(req, res);
        if (body) await handler(req, res, url, body);
        return;
      }
    }

    const routePath = this.#stripPrefix(url.pathname);
    if (routePath === undefined) {
      writeHostError(res, 404, 'HOST.NOT_FOUND', `No function answers ${method} ${url.pathname}.`);
      return;
    }
    const found = this.#opts.routes.lookup(method === 'HEAD' ? 'GET' : method, routePath);
    if (found.kind === 'notFound') {
      writeHostError(res, 404, 'HOST.NOT_FOUND', `No function answers ${method} ${url.pathname}.`);
      return;
    }
    if (found.kind === 'methodNotAllowed') {
      writeHostError(res, 405, 'HOST.METHOD_NOT_ALLOWED', `${method} is not allowed on ${url.pathname}.`, {
        allow: found.allowed.join(', '),
      });
      return;
    }
    if (!isAuthorized(this.#opts.keys, found.route.authLevel, presentedKey(req, url))) {
      writeHostError(
        res,
        401,
        'HOST.UNAUTHORIZED',
        `${url.pathname} needs a ${found.route.authLevel} key (x-functions-key header or code query parameter).`,
      );
      return;
    }
    const body = await this.#bodyOr413(req, res);
    if (!body) return;

    const triggerName =
      Object.entries(found.route.fn.metadata.bindings).find(([, b]) => b.type?.toLowerCase() === 'httptrigger')?.[0] ?? 'req';
    const httpData = toRpcHttpRequest(req, url, body, found.params);
    const outcome = await this.#opts.invoker.invoke(found.route.fn, {
      inputData: [{ name: triggerName, data: { http: httpData } }],
      triggerMetadata: {
        req: { http: httpData },
        ...Object.fromEntries(Object.entries(found.params).map(([k, v]) => [k, { string: v }])),
      },
    });
    if (!outcome.ok) {
      writeHostError(
        res,
        500,
        'HOST.FUNCTION_FAILED',
        `Function ${found.route.fn.metadata.name} failed (invocation ${outcome.invocationId}).`,
      );
      return;
    }
    const output = httpOutput(outcome.response.outputData, outcome.response.returnValue);
    if (!output) {
      res.writeHead(204).end();
      return;
    }
    writeRpcHttpResponse(res, output, method);
  }

  async #bodyOr413(req: IncomingMessage, res: ServerResponse): Promise<Buffer | undefined> {
    try {
      return await readBody(req, this.#opts.maxBodyBytes);
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        writeHostError(res, 413, 'HOST.BODY_TOO_LARGE', `The request body is larger than the limit of ${this.#opts.maxBodyBytes} bytes.`);
        return undefined;
      }
      throw err;
    }
  }

  #stripPrefix(pathname: string): string | undefined {
    if (this.#prefix === '') return pathname;
    const lower = pathname.toLowerCase();
    const prefix = `/${this.#prefix.toLowerCase()}`;
    if (lower === prefix) return '/';
    if (lower.startsWith(prefix + '/')) return pathname.slice(prefix.length);
    return undefined;
  }
}
