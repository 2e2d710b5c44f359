import { IncomingMessage, ServerResponse } from 'node:http';
import { isAuthorized, HostKeys } from '../keys';
import { DurableRuntime, InstanceOperationOutcome, StartOutcome } from './durableRuntime';
import { isTerminal, RuntimeStatus } from './instanceModel';
import { statusJson } from './statusFormat';
import { IndexQuery } from './taskHubStore';
import { managementUrls, rpcPrefix, webhookPrefix, WebhookSite } from './webhookUrls';

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

class BadRequest extends Error {}

function json(status: number, body?: unknown, headers: Record<string, string> = {}): Reply {
  return { status, body, headers };
}

function error(status: number, message: string): Reply {
  return json(status, { message });
}

/** A request body as JSON text: empty means no value; anything else must parse. */
function jsonBody(body: Buffer): string | undefined {
  const text = body.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    JSON.parse(text);
  } catch {
    throw new BadRequest('The request body is not valid JSON.');
  }
  return text;
}

function flag(url: URL, name: string, fallback: boolean): boolean {
  const value = url.searchParams.get(name);
  return value === null ? fallback : value.toLowerCase() === 'true';
}

function isLoopback(req: IncomingMessage): boolean {
  const address = req.socket.remoteAddress ?? '';
  return address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.');
}

const statuses: RuntimeStatus[] = ['Pending', 'Running', 'Completed', 'ContinuedAsNew', 'Failed', 'Terminated', 'Suspended', 'Canceled'];

function indexQuery(url: URL): IndexQuery {
  const runtimeStatus = url.searchParams
    .get('runtimeStatus')
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const match = statuses.find((known) => known.toLowerCase() === s.toLowerCase());
      if (!match) throw new BadRequest(`Unknown runtimeStatus '${s}'.`);
      return match;
    });
  const top = url.searchParams.get('top');
  return {
    createdTimeFrom: url.searchParams.get('createdTimeFrom') ?? undefined,
    createdTimeTo: url.searchParams.get('createdTimeTo') ?? undefined,
    runtimeStatus,
    instanceIdPrefix: url.searchParams.get('instanceIdPrefix') ?? undefined,
    top: top ? Number(top) : undefined,
  };
}

/**
 * The extension's HTTP API (`/runtime/webhooks/durabletask/...`, system key required) and the
 * same operations at `rpcBaseUrl` for the SDK's client, with the documented status codes.
 */
export class ManagementApi {
  readonly #runtime: DurableRuntime;
  readonly #site: () => WebhookSite;
  readonly #keys: HostKeys;

  constructor(runtime: DurableRuntime, site: () => WebhookSite, keys: HostKeys) {
    this.#runtime = runtime;
    this.#site = site;
    this.#keys = keys;
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<void> {
    const path = url.pathname;
    const prefix = path.startsWith(webhookPrefix) ? webhookPrefix : rpcPrefix;
    let reply: Reply;
    if (prefix === webhookPrefix) {
      const key = (req.headers['x-functions-key'] as string | undefined) ?? url.searchParams.get('code') ?? undefined;
      if (!isAuthorized(this.#keys, 'admin', key))
        reply = error(401, 'The Durable Task API needs the system key (code query parameter or x-functions-key header).');
      else reply = await this.#route(req, url, body, path.slice(prefix.length), false);
    } else if (!isLoopback(req)) {
      reply = error(403, 'The Durable client endpoint answers only callers on this machine.');
    } else {
      reply = await this.#route(req, url, body, path.slice(prefix.length), true);
    }
    const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      ...reply.headers,
    });
    res.end(text);
  }

  async #route(req: IncomingMessage, url: URL, body: Buffer, rest: string, forSdk: boolean): Promise<Reply> {
    const method = (req.method ?? 'GET').toUpperCase();
    const parts = rest
      .split('/')
      .filter((p) => p !== '')
      .map(decodeURIComponent);
    try {
      if (parts[0] === 'orchestrators' && parts.length >= 2 && method === 'POST')
        return await this.#start(parts[1], parts.slice(2).join('/') || undefined, url, body);
      if (parts[0] === 'instances') {
        if (parts.length === 1) {
          if (method === 'GET') return await this.#list(req, url);
          if (method === 'DELETE') return await this.#purgeBy(url);
        }
        const id = parts[1];
        if (parts.length === 2) {
          if (method === 'GET') return await this.#status(id, url, forSdk);
          if (method === 'DELETE')
            return (await this.#runtime.purge(id)) ? json(200, { instancesDeleted: 1 }) : error(404, `No finished instance '${id}'.`);
        }
        if (method === 'POST' && parts.length >= 3) return await this.#instanceOperation(id, parts[2], parts.slice(3).join('/'), url, body);
      }
      if (parts[0] === 'entities' && parts.length === 3) {
        if (method === 'GET') {
          const entity = await this.#runtime.readEntity(parts[1], parts[2]);
          return entity.exists
            ? json(200, entity.state === undefined ? null : JSON.parse(entity.state))
            : error(404, `Entity @${parts[1]}@${parts[2]} does not exist.`);
        }
        if (method === 'POST') {
          const operation = url.searchParams.get('op') ?? '';
          await this.#runtime.signalEntity(parts[1], parts[2], operation, jsonBody(body));
          return json(202);
        }
      }
      return error(404, `No Durable Task API answers ${method} ${url.pathname}.`);
    } catch (err) {
      if (err instanceof BadRequest) return error(400, err.message);
      throw err;
    }
  }

  #managementReply(status: number, instanceId: string): Reply {
    const payload = managementUrls(this.#site(), instanceId);
    return json(status, payload, { location: payload.statusQueryGetUri, 'retry-after': '10' });
  }

  #startReply(outcome: StartOutcome): Reply {
    if (outcome.kind === 'unknownFunction') return error(400, outcome.message);
    if (outcome.kind === 'conflict') return error(409, outcome.message);
    return this.#managementReply(202, outcome.instanceId);
  }

  async #start(functionName: string, instanceId: string | undefined, url: URL, body: Buffer): Promise<Reply> {
    const outcome = await this.#runtime.startNew(functionName, instanceId, jsonBody(body));
    const timeout = url.searchParams.get('timeout');
    if (outcome.kind !== 'started' || timeout === null) return this.#startReply(outcome);
    // waitOnNewInstancePostUri: answer with the output if the instance finishes within the timeout.
    const deadline = Date.now() + Number(timeout) * 1000;
    const interval = Number(url.searchParams.get('pollingInterval') ?? 1) * 1000;
    while (Date.now() < deadline) {
      const meta = await this.#runtime.meta(outcome.instanceId);
      if (meta && isTerminal(meta.status)) return json(200, meta.output === undefined ? null : JSON.parse(meta.output));
      await new Promise((r) => setTimeout(r, Math.min(interval, Math.max(0, deadline - Date.now()))));
    }
    return this.#startReply(outcome);
  }

  async #status(instanceId: string, url: URL, forSdk: boolean): Promise<Reply> {
    const options = {
      showInput: flag(url, 'showInput', true),
      showHistory: flag(url, 'showHistory', false),
      showHistoryOutput: flag(url, 'showHistoryOutput', false),
      sdkHistoryField: forSdk,
    };
    const view = await this.#runtime.view(instanceId, options.showHistory);
    if (!view) return error(404, `No instance with ID '${instanceId}' found.`);
    const body = statusJson(view.meta, view.history, options);
    const status = view.meta.status;
    if (status === 'Failed' && flag(url, 'returnInternalServerErrorOnFailure', false)) return json(500, body);
    if (isTerminal(status)) return json(200, body);
    const location = managementUrls(this.#site(), instanceId).statusQueryGetUri;
    return json(202, body, { location, 'retry-after': '10' });
  }

  async #list(req: IncomingMessage, url: URL): Promise<Reply> {
    const query = indexQuery(url);
    query.continuationToken = (req.headers['x-ms-continuation-token'] as string | undefined) || undefined;
    const page = await this.#runtime.list(query);
    const options = { showInput: flag(url, 'showInput', false), showHistory: false, showHistoryOutput: false };
    const headers: Record<string, string> = page.continuationToken ? { 'x-ms-continuation-token': page.continuationToken } : {};
    return json(
      200,
      page.views.map((v) => statusJson(v.meta, undefined, options)),
      headers,
    );
  }

  async #purgeBy(url: URL): Promise<Reply> {
    const deleted = await this.#runtime.purgeBy(indexQuery(url));
    return deleted > 0 ? json(200, { instancesDeleted: deleted }) : error(404, 'No finished instance matches.');
  }

  async #instanceOperation(instanceId: string, operation: string, argument: string, url: URL, body: Buffer): Promise<Reply> {
    const reason = url.searchParams.get('reason') ?? undefined;
    let outcome: InstanceOperationOutcome | 'notFailed';
    switch (operation) {
      case 'raiseEvent':
        if (!argument) return error(400, 'The event name is missing: POST instances/{id}/raiseEvent/{eventName}.');
        outcome = await this.#runtime.raiseEvent(instanceId, argument, jsonBody(body));
        break;
      case 'terminate':
        outcome = await this.#runtime.terminate(instanceId, reason);
        break;
      case 'suspend':
        outcome = await this.#runtime.suspend(instanceId, reason);
        break;
      case 'resume':
        outcome = await this.#runtime.resume(instanceId, reason);
        break;
      case 'rewind':
        outcome = await this.#runtime.rewind(instanceId, reason);
        break;
      case 'restart': {
        const restarted = await this.#runtime.restart(instanceId, flag(url, 'restartWithNewInstanceId', true));
        return restarted ? this.#startReply(restarted) : error(404, `No instance with ID '${instanceId}' found.`);
      }
      default:
        return error(404, `Unknown instance operation '${operation}'.`);
    }
    if (outcome === 'notFound') return error(404, `No instance with ID '${instanceId}' found.`);
    if (outcome === 'gone' || outcome === 'notFailed')
      return error(410, `The instance '${instanceId}' is not in a state that allows ${operation}.`);
    return json(202);
  }
}
