import { randomBytes, timingSafeEqual } from 'node:crypto';
import http, { IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { BodyTooLargeError, keepAliveTimeoutMs, readBody } from '../http/httpServer';
import { writeHostError } from '../http/rpcHttp';
import { HostLogger } from '../logger';

export type RpcHandler = (req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer, rest: string) => Promise<void>;

const rpcSegment = 'durabletask';

function sameSecret(presented: string, secret: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The endpoint the SDK's Durable client calls (`rpcBaseUrl`), as the extension's local RPC
 * listener: on a loopback port of its own, never on the API port, and only under a secret made at
 * each start that the host hands its worker in the `durableClient` binding, so nothing else on the
 * machine can read, start, purge or terminate instances through it.
 */
export class DurableRpcEndpoint {
  readonly #server: http.Server;
  readonly #secret = randomBytes(32).toString('base64url');
  #baseUrl = '';

  constructor(handler: RpcHandler, maxBodyBytes: number, logger: HostLogger) {
    this.#server = http.createServer((req, res) => {
      this.#serve(req, res, handler, maxBodyBytes).catch((err: Error) => {
        logger.host('error', `Unhandled error serving a Durable client request: ${err.stack ?? err.message}`);
        if (!res.headersSent) writeHostError(res, 500, 'HOST.INTERNAL', 'The host failed to handle the request.');
        else res.destroy();
      });
    });
    this.#server.keepAliveTimeout = keepAliveTimeoutMs;
  }

  /** `http://127.0.0.1:<port>/<secret>/durabletask/`, once listening. */
  get baseUrl(): string {
    return this.#baseUrl;
  }

  listen(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', () => {
        this.#server.off('error', reject);
        const { port } = this.#server.address() as AddressInfo;
        this.#baseUrl = `http://127.0.0.1:${port}/${this.#secret}/${rpcSegment}/`;
        resolve(this.#baseUrl);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeIdleConnections();
    });
  }

  async #serve(req: IncomingMessage, res: ServerResponse, handler: RpcHandler, maxBodyBytes: number): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const [, secret = '', segment, ...rest] = url.pathname.split('/');
    if (!sameSecret(secret, this.#secret) || segment !== rpcSegment) {
      writeHostError(res, 401, 'HOST.UNAUTHORIZED', 'The Durable client endpoint answers only the host’s own worker.');
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(req, maxBodyBytes);
    } catch (err) {
      if (!(err instanceof BodyTooLargeError)) throw err;
      writeHostError(res, 413, 'HOST.BODY_TOO_LARGE', `The request body is larger than the limit of ${maxBodyBytes} bytes.`);
      return;
    }
    await handler(req, res, url, body, rest.join('/'));
  }
}
