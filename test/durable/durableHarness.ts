import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { DevhostProcess, startDevhost } from '../support/devhostProcess';

export const durableApp = path.resolve(__dirname, '..', 'fixtures', 'durableApp');

export interface OrchestrationStatus {
  name: string;
  instanceId: string;
  runtimeStatus: string;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  historyEvents?: { EventType: string; FunctionName?: string; Result?: unknown; Name?: string }[];
}

/** A task hub of its own per devhost under test, so that suites never see each other's instances. */
export function uniqueHub(): string {
  return `t${randomBytes(6).toString('hex')}`;
}

export function startDurableHost(hub = uniqueHub(), env: Record<string, string> = {}): Promise<DevhostProcess> {
  return startDevhost({ appDir: durableApp, env: { DURABLE_HUB: hub, ...env } });
}

/** Starts an orchestration through the app's HTTP starter (client.startNew + createCheckStatusResponse). */
export async function startOrchestration(host: DevhostProcess, name: string, input?: unknown, instanceId?: string): Promise<string> {
  const url = `${host.baseUrl}/api/orchestrators/${name}${instanceId ? `/${encodeURIComponent(instanceId)}` : ''}`;
  const res = await fetch(url, { method: 'POST', body: input === undefined ? '' : JSON.stringify(input) });
  const body = (await res.json()) as { id: string; error?: string };
  if (res.status !== 202) throw new Error(`starting ${name} answered ${res.status}: ${JSON.stringify(body)}`);
  return body.id;
}

/** Calls one `DurableClient` method through the app's `client/{op}` function. */
export async function clientCall(
  host: DevhostProcess,
  op: string,
  args: Record<string, unknown> = {},
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${host.baseUrl}/api/client/${op}`, { method: 'POST', body: JSON.stringify(args) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

export function statusUrl(host: DevhostProcess, instanceId: string, query = ''): string {
  return `${host.baseUrl}/runtime/webhooks/durabletask/instances/${encodeURIComponent(instanceId)}?code=${host.masterKey}${query}`;
}

export async function getStatus(
  host: DevhostProcess,
  instanceId: string,
  query = '',
): Promise<{ http: number; status?: OrchestrationStatus }> {
  const res = await fetch(statusUrl(host, instanceId, query));
  const text = await res.text();
  return { http: res.status, status: res.status === 404 ? undefined : (JSON.parse(text) as OrchestrationStatus) };
}

const finished = ['Completed', 'Failed', 'Terminated'];

/** Polls the status endpoint until the instance reaches one of `statuses` (default: any final one). */
export async function waitForStatus(
  host: DevhostProcess,
  instanceId: string,
  statuses: string[] = finished,
  timeoutMs = 30_000,
  query = '',
): Promise<OrchestrationStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: OrchestrationStatus | undefined;
  while (Date.now() < deadline) {
    last = (await getStatus(host, instanceId, query)).status;
    if (last && statuses.includes(last.runtimeStatus)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `instance ${instanceId} did not reach ${statuses.join('/')} in ${timeoutMs} ms; last status ${JSON.stringify(last)}\n${host.output().slice(-3000)}`,
  );
}

export async function postWebhook(host: DevhostProcess, pathAndQuery: string, body?: string, method = 'POST'): Promise<Response> {
  const sep = pathAndQuery.includes('?') ? '&' : '?';
  // JSON content, as the SDK sends it (the extension refuses events of any other content type).
  const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
  return fetch(`${host.baseUrl}/runtime/webhooks/durabletask/${pathAndQuery}${sep}code=${host.masterKey}`, { method, body, headers });
}
