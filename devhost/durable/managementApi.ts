import { IncomingMessage, ServerResponse } from 'node:http';
import { isAuthorized, HostKeys } from '../keys';
import { DurableRuntime, InstanceOperationOutcome, StartOutcome } from './durableRuntime';
import { isTerminal, RuntimeStatus } from './instanceModel';
import { statusJson, wholeSeconds } from './statusFormat';
import { IndexQuery, InvalidContinuationToken } from './taskHubStore';
import { managementUrls, webhookPrefix, WebhookSite } from './webhookUrls';

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

class BadRequest extends Error {}

function json(status: number, body?: unknown, headers: Record<string, string> = {}): Reply {
  return { status, body, headers };
}

function error(status: number, message: string): Reply {
  return json(status, { message });
}

const maxInstanceIdLength = 256;

/** The extension's rules for a new instance id (its ArgumentException, so a 400). */
function instanceIdProblem(instanceId: string): string | undefined {
  if (instanceId.length > maxInstanceIdLength) return `Instance ID lengths must not exceed ${maxInstanceIdLength} characters.`;
  // eslint-disable-next-line no-control-regex
  if (/[/\\#?\u0000-\u001f\u007f-\u009f]/.test(instanceId)) return 'Instance ID must not contain /, \\, #, ?, or control characters.';
  return undefined;
}

function pathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BadRequest('The request path is not valid percent-encoding.');
  }
}

function writeReply(res: ServerResponse, reply: Reply): void {
  const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...reply.headers,
  });
  res.end(text);
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

const statuses: RuntimeStatus[] = ['Pending', 'Running', 'Completed', 'ContinuedAsNew', 'Failed', 'Terminated', 'Suspended', 'Canceled'];

/** The extension's Retry-After on a 202: clients would otherwise poll in a tight loop. */
const retryAfterSeconds = '5';

function isJsonContent(req: IncomingMessage): boolean {
  const type = req.headers['content-type']?.split(';')[0].trim().toLowerCase();
  return type === 'application/json';
}

/** As the extension parses enums: values it does not know are left out of the filter, not refused. */
function runtimeStatusFilter(url: URL): RuntimeStatus[] | undefined {
  const known = (url.searchParams.get('runtimeStatus') ?? '')
    .split(',')
    .map((s) => statuses.find((status) => status.toLowerCase() === s.trim().toLowerCase()))
    .filter((s): s is RuntimeStatus => s !== undefined);
  return known.length > 0 ? known : undefined;
}

function dateParam(url: URL, name: string): string | undefined {
  const value = url.searchParams.get(name);
  if (value === null) return undefined;
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new BadRequest(`The ${name} parameter '${value}' is not a date and time.`);
  return new Date(time).toISOString();
}

function topParam(url: URL): number | undefined {
  const top = url.searchParams.get('top');
  if (top === null) return undefined;
  const value = Number(top);
  if (!Number.isInteger(value) || value <= 0 || value > 1000) throw new BadRequest(`The top parameter must be an integer from 1 to 1000.`);
  return value;
}

function indexQuery(url: URL): IndexQuery {
  return {
    createdTimeFrom: dateParam(url, 'createdTimeFrom'),
    createdTimeTo: dateParam(url, 'createdTimeTo'),
    runtimeStatus: runtimeStatusFilter(url),
    instanceIdPrefix: url.searchParams.get('instanceIdPrefix') ?? undefined,
    top: topParam(url),
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

  /** `/runtime/webhooks/durabletask/...` on the API port: the system key is required. */
  async handleWebhook(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<void> {
    const key = (req.headers['x-functions-key'] as string | undefined) ?? url.searchParams.get('code') ?? undefined;
    const reply = isAuthorized(this.#keys, 'admin', key)
      ? await this.#route(req, url, body, url.pathname.slice(webhookPrefix.length), false)
      : error(401, 'The Durable Task API needs the system key (code query parameter or x-functions-key header).');
    writeReply(res, reply);
  }

  /** The same operations for the SDK's client, reached only through the host's secret RPC endpoint. */
  async handleRpc(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer, rest: string): Promise<void> {
    writeReply(res, await this.#route(req, url, body, rest, true));
  }

  async #route(req: IncomingMessage, url: URL, body: Buffer, rest: string, forSdk: boolean): Promise<Reply> {
    const method = (req.method ?? 'GET').toUpperCase();
    try {
      const parts = rest
        .split('/')
        .filter((p) => p !== '')
        .map(pathSegment);
      if (parts[0] === 'orchestrators' && parts.length >= 2 && method === 'POST') {
        const instanceId = parts.slice(2).join('/') || undefined;
        const invalid = instanceId === undefined ? undefined : instanceIdProblem(instanceId);
        return invalid ? error(400, invalid) : await this.#start(parts[1], instanceId, url, body);
      }
      // No instance or entity can have an id the extension refuses to create; the store is not asked.
      if (parts.slice(1, 3).some((part) => part.length > maxInstanceIdLength))
        return error(404, `No instance or entity with an id over ${maxInstanceIdLength} characters exists.`);
      if (parts[0] === 'instances') {
        if (parts.length === 1) {
          if (method === 'GET') return await this.#list(req, url);
          if (method === 'DELETE') return await this.#purgeBy(url);
        }
        const id = parts[1];
        if (parts.length === 2) {
          if (method === 'GET') return await this.#status(id, url, forSdk);
          if (method === 'DELETE') return await this.#purge(id);
        }
        if (method === 'POST' && parts.length >= 3)
          return await this.#instanceOperation(req, id, parts[2], parts.slice(3).join('/'), url, body);
      }
      if (parts[0] === 'entities' && parts.length <= 2 && method === 'GET') return await this.#listEntities(req, url, parts[1]);
      if (parts[0] === 'entities' && parts.length === 3) {
        if (method === 'GET') {
          const entity = await this.#runtime.readEntity(parts[1], parts[2]);
          return entity.exists
            ? json(200, entity.state === undefined ? null : JSON.parse(entity.state))
            : error(404, `Entity @${parts[1]}@${parts[2]} does not exist.`);
        }
        if (method === 'POST' || method === 'DELETE') {
          // DELETE is the extension's shorthand for signalling the entity's 'delete' operation.
          const operation = method === 'DELETE' ? 'delete' : (url.searchParams.get('op') ?? '');
          await this.#runtime.signalEntity(parts[1], parts[2], operation, this.#entityInput(req, body));
          return json(202);
        }
      }
      return error(404, `No Durable Task API answers ${method} ${url.pathname}.`);
    } catch (err) {
      if (err instanceof BadRequest || err instanceof InvalidContinuationToken) return error(400, err.message);
      throw err;
    }
  }

  #managementReply(status: number, instanceId: string): Reply {
    const payload = managementUrls(this.#site(), instanceId);
    return json(status, payload, { location: payload.statusQueryGetUri, 'retry-after': retryAfterSeconds });
  }

  /** An entity operation's input: JSON when the request says so, otherwise the text itself. */
  #entityInput(req: IncomingMessage, body: Buffer): string | undefined {
    if (body.length === 0) return undefined;
    return isJsonContent(req) ? jsonBody(body) : JSON.stringify(body.toString('utf8'));
  }

  async #purge(instanceId: string): Promise<Reply> {
    const meta = await this.#runtime.meta(instanceId);
    if (!meta) return error(404, `No instance with ID '${instanceId}' found.`);
    if (!isTerminal(meta.status))
      return error(
        412,
        `Only orchestrations in a terminal state can be purged, but the orchestration with instance ID ${instanceId} has status ${meta.status}.`,
      );
    await this.#runtime.purge(instanceId);
    return json(200, { instancesDeleted: 1 });
  }

  async #listEntities(req: IncomingMessage, url: URL, name: string | undefined): Promise<Reply> {
    const page = await this.#runtime.listEntities({
      name,
      lastOperationTimeFrom: dateParam(url, 'lastOperationTimeFrom'),
      lastOperationTimeTo: dateParam(url, 'lastOperationTimeTo'),
      fetchState: flag(url, 'fetchState', false),
      top: topParam(url),
      continuationToken: (req.headers['x-ms-continuation-token'] as string | undefined) || undefined,
    });
    const entities = page.entities.map((e) => ({
      entityId: { name: e.name, key: e.key },
      lastOperationTime: wholeSeconds(e.lastOperationTime),
      ...(e.state === undefined ? {} : { state: JSON.parse(e.state) as unknown }),
    }));
    return json(200, entities, page.continuationToken ? { 'x-ms-continuation-token': page.continuationToken } : {});
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
    return json(202, body, { location, 'retry-after': retryAfterSeconds });
  }

  async #list(req: IncomingMessage, url: URL): Promise<Reply> {
    const query = indexQuery(url);
    query.continuationToken = (req.headers['x-ms-continuation-token'] as string | undefined) || undefined;
    const page = await this.#runtime.list(query);
    const options = { showInput: flag(url, 'showInput', true), showHistory: false, showHistoryOutput: false };
    const headers: Record<string, string> = page.continuationToken ? { 'x-ms-continuation-token': page.continuationToken } : {};
    return json(
      200,
      page.views.map((v) => statusJson(v.meta, undefined, options)),
      headers,
    );
  }

  async #purgeBy(url: URL): Promise<Reply> {
    if (url.searchParams.get('createdTimeFrom') === null) return error(400, "Please provide value for 'createdTimeFrom' parameter.");
    const deleted = await this.#runtime.purgeBy(indexQuery(url));
    return deleted > 0 ? json(200, { instancesDeleted: deleted }) : error(404, 'No finished instance matches.');
  }

  /** As the extension: 404 and 410 by the instance's state first, then only JSON content is accepted. */
  async #raiseEvent(req: IncomingMessage, instanceId: string, name: string, body: Buffer): Promise<InstanceOperationOutcome | 'notJson'> {
    const meta = await this.#runtime.meta(instanceId);
    if (!meta) return 'notFound';
    if (isTerminal(meta.status)) return 'gone';
    if (!isJsonContent(req)) return 'notJson';
    return this.#runtime.raiseEvent(instanceId, name, jsonBody(body));
  }

  async #instanceOperation(
    req: IncomingMessage,
    instanceId: string,
    operation: string,
    argument: string,
    url: URL,
    body: Buffer,
  ): Promise<Reply> {
    const reason = url.searchParams.get('reason') ?? undefined;
    let outcome: InstanceOperationOutcome | 'notFailed' | 'notJson';
    switch (operation) {
      case 'raiseEvent':
        if (!argument) return error(400, 'The event name is missing: POST instances/{id}/raiseEvent/{eventName}.');
        outcome = await this.#raiseEvent(req, instanceId, argument, body);
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
    if (outcome === 'notJson') return error(400, 'Only application/json request content is supported');
    if (outcome === 'notFailed')
      return error(412, `Only orchestrations in the "Failed" state can be rewound; '${instanceId}' is not failed.`);
    if (outcome === 'gone') return error(410, `The instance '${instanceId}' is not in a state that allows ${operation}.`);
    return json(202);
  }
}
