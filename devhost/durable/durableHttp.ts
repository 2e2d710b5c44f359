import { DurableHttpRequestWire } from './sdkActions';

/** `callHttp`: one request; the SDK itself polls a 202 with a Location header (replay schema V3+). */
export async function sendDurableHttpRequest(request: DurableHttpRequestWire): Promise<string> {
  const response = await fetch(request.uri, {
    method: request.method,
    headers: request.headers,
    body: request.content === undefined || request.method.toUpperCase() === 'GET' ? undefined : request.content,
  });
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => (headers[name] = value));
  return JSON.stringify({ statusCode: response.status, headers, content: await response.text() });
}
