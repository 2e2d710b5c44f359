import { IncomingMessage, ServerResponse } from 'node:http';
import { RpcHttpCookie, RpcHttpData, RpcTypedData } from '../coreTypes';

/** The HTTP trigger payload the host sends to the worker for one request. */
export function toRpcHttpRequest(req: IncomingMessage, url: URL, body: Buffer, params: Record<string, string>): RpcHttpData {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  // As the platform's front end does, the host names the client's address; the client's own claim to one is dropped.
  headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = value;
  const bytes: RpcTypedData = { bytes: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) };
  return {
    method: req.method ?? 'GET',
    url: url.toString(),
    headers,
    query,
    params,
    body: body.length > 0 ? bytes : undefined,
    rawBody: body.length > 0 ? bytes : undefined,
  };
}

function bodyBytes(body: RpcTypedData | null | undefined): Buffer {
  if (!body) return Buffer.alloc(0);
  if (body.bytes) return Buffer.from(body.bytes);
  if (body.stream) return Buffer.from(body.stream);
  if (typeof body.string === 'string') return Buffer.from(body.string);
  if (typeof body.json === 'string') return Buffer.from(body.json);
  if (typeof body.int === 'number') return Buffer.from(String(body.int));
  if (typeof body.double === 'number') return Buffer.from(String(body.double));
  return Buffer.alloc(0);
}

export function serializeCookie(cookie: RpcHttpCookie): string {
  const parts = [`${cookie.name ?? ''}=${cookie.value ?? ''}`];
  if (cookie.domain?.value) parts.push(`Domain=${cookie.domain.value}`);
  if (cookie.path?.value) parts.push(`Path=${cookie.path.value}`);
  const seconds = cookie.expires?.value?.seconds;
  if (typeof seconds === 'number') parts.push(`Expires=${new Date(seconds * 1000).toUTCString()}`);
  if (typeof cookie.maxAge?.value === 'number') parts.push(`Max-Age=${Math.trunc(cookie.maxAge.value)}`);
  if (cookie.secure?.value) parts.push('Secure');
  if (cookie.httpOnly?.value) parts.push('HttpOnly');
  if (cookie.sameSite === 'lax') parts.push('SameSite=Lax');
  else if (cookie.sameSite === 'strict') parts.push('SameSite=Strict');
  else if (cookie.sameSite === 'explicitNone') parts.push('SameSite=None');
  return parts.join('; ');
}

/** Writes the worker's HTTP output binding to the client. */
export function writeRpcHttpResponse(res: ServerResponse, data: RpcHttpData | null | undefined, method: string): void {
  const status = Number(data?.statusCode ?? 200);
  res.statusCode = Number.isInteger(status) && status >= 100 && status <= 599 ? status : 500;
  for (const [name, value] of Object.entries(data?.headers ?? {})) res.setHeader(name, value);
  const cookies = (data?.cookies ?? []).map(serializeCookie);
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  const body = bodyBytes(data?.body);
  res.setHeader('content-length', body.length);
  res.end(method === 'HEAD' ? undefined : body);
}

/** Errors the host itself answers with: JSON `{ error: { code, message } }`. */
export function writeHostError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  extraHeaders: Record<string, string> = {},
): void {
  const body = Buffer.from(JSON.stringify({ error: { code, message } }));
  res.statusCode = status;
  for (const [name, value] of Object.entries(extraHeaders)) res.setHeader(name, value);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', body.length);
  res.end(body);
}
