import { randomUUID } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import { AddressInfo } from 'node:net';
import { loopbackTls } from '../loopbackTls';
import { readRequestBody } from '../requestBody';
import { ArmError, LoggedRequest, ResourceTypeDefinition } from './armTypes';
import { FaultInjector } from './faults';
import { ResourceStore, ResourceView } from './resourceStore';

/**
 * A fake of Azure Resource Manager on loopback HTTPS, for the Azure adapters' contract tests and devhost runs.
 *
 * Register a resource provider with `register(definition)`: the fake then serves PUT/GET/DELETE and the list of that
 * type under `/subscriptions/{s}/resourceGroups/{rg}/providers/{namespace}/{type}`, checking what ARM checks (the bearer
 * token, the subscription and resource group, `api-version` against the definition's, the body against its
 * `validate`). Creates and deletes are long-running operations as ARM runs them: the first response (200/201 for a
 * create, 202 for a delete) carries `Azure-AsyncOperation` and `Location` headers; the operation status answers
 * `InProgress` → `Succeeded`/`Failed` (with the error body) while the resource's `provisioningState` walks the
 * definition's timed lifecycle; after a delete the resource answers 404.
 *
 * `faults` injects failures (429 + `Retry-After`, canned errors, a create refused outright, that fails or never finishes); `requests`
 * logs every request (without the token) for tests to assert on; `route` adds a handler for anything else ARM serves
 * (e.g. a container group's logs or a resource group's resource list), with the same token and api-version checks.
 */
export interface ArmFakeOptions {
  /** The only bearer token accepted; anything else answers 401. */
  token: string;
  subscriptionId: string;
  resourceGroups: string[];
  /** Region for operation URLs. */
  location?: string;
  /** `Retry-After` (seconds) on long-running operation responses; real ARM says 10–60, tests want 0–1. */
  pollAfterSeconds?: number;
  port?: number;
  clock?: () => number;
}

export interface ArmRouteContext {
  match: RegExpExecArray;
  query: URLSearchParams;
  body: unknown;
  /** The fake's live resources (as GET returns them) under a key prefix, e.g. a resource group's. */
  resources(prefix: string): ResourceView[];
}

export interface ArmRouteResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ArmRoute {
  method: string;
  /** Matched against the lower-cased path. */
  path: RegExp;
  apiVersions: readonly string[];
  handle(ctx: ArmRouteContext): ArmRouteResponse | Promise<ArmRouteResponse>;
}

export class ArmHttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: ArmError,
  ) {
    super(error.message);
  }
}

const resourcePath = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/;
const operationPath = /^\/subscriptions\/([^/]+)\/providers\/([^/]+)\/locations\/([^/]+)\/(operationstatuses|operationresults)\/([^/]+)$/;

export class ArmFake {
  readonly requests: LoggedRequest[] = [];
  readonly faults = new FaultInjector();
  readonly #store: ResourceStore;
  readonly #types = new Map<string, ResourceTypeDefinition>();
  readonly #routes: ArmRoute[] = [];
  readonly #server: https.Server;
  #url = '';

  constructor(private readonly opts: ArmFakeOptions) {
    this.#store = new ResourceStore(opts.clock);
    this.#server = https.createServer(loopbackTls(), (req, res) => {
      this.#serve(req, res).catch((err: Error) => {
        if (!res.headersSent) this.#send(res, 500, { error: { code: 'InternalServerError', message: err.message } });
        else res.end();
      });
    });
  }

  /** The base URL, e.g. `https://127.0.0.1:41234` (CANOPY_ARM_ENDPOINT). */
  get url(): string {
    return this.#url;
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.opts.port ?? 0, '127.0.0.1', () => resolve());
    });
    this.#url = `https://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  register(definition: ResourceTypeDefinition): this {
    this.#types.set(`${definition.namespace}/${definition.type}`.toLowerCase(), definition);
    return this;
  }

  route(route: ArmRoute): this {
    this.#routes.push(route);
    return this;
  }

  /** The ARM id of a resource in one of the fake's resource groups. */
  resourceId(resourceGroup: string, resourceType: string, name: string): string {
    const [namespace, type] = resourceType.split('/');
    return `/subscriptions/${this.opts.subscriptionId}/resourceGroups/${resourceGroup}/providers/${namespace}/${type}/${name}`;
  }

  /** A resource as GET returns it plus what its definition kept hidden; undefined when it does not exist (or is gone). */
  resource(id: string): ResourceView | undefined {
    return this.#store.get(id.toLowerCase());
  }

  /** The logged requests of one method whose path includes `pathIncludes` (case-insensitive). */
  requestsTo(method: string, pathIncludes: string): LoggedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path.toLowerCase().includes(pathIncludes.toLowerCase()));
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const { raw, json: body } = await readRequestBody(req);
    const entry: LoggedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: Object.fromEntries(
        Object.entries(req.headers)
          .filter(([name]) => name !== 'authorization')
          .map(([name, value]) => [name, String(value)]),
      ),
      body,
      status: 0,
      at: (this.opts.clock ?? Date.now)(),
    };
    this.requests.push(entry);
    res.setHeader('x-ms-request-id', randomUUID());
    res.setHeader('x-ms-correlation-request-id', randomUUID());
    if (req.headers['x-ms-client-request-id']) res.setHeader('x-ms-client-request-id', String(req.headers['x-ms-client-request-id']));
    let answer: ArmRouteResponse;
    try {
      answer = await this.#answer(req, url, raw, body);
    } catch (err) {
      if (!(err instanceof ArmHttpError)) throw err;
      answer = { status: err.status, body: { error: err.error } };
    }
    entry.status = answer.status;
    for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
    this.#send(res, answer.status, answer.body);
  }

  async #answer(req: IncomingMessage, url: URL, raw: string, body: unknown): Promise<ArmRouteResponse> {
    const auth = req.headers.authorization;
    if (!auth) fail(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.");
    if (auth !== `Bearer ${this.opts.token}`) fail(401, 'InvalidAuthenticationToken', 'The access token is invalid.');
    const method = req.method ?? 'GET';
    const path = url.pathname.toLowerCase().replace(/\/+$/, '');
    const canned = this.faults.intercept(method, path);
    if (canned) return canned;
    const apiVersion = url.searchParams.get('api-version');
    if (!apiVersion)
      fail(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
    if (method === 'PUT' && raw.length > 0 && !String(req.headers['content-type'] ?? '').startsWith('application/json'))
      fail(415, 'UnsupportedMediaType', "The content media type is not supported. Content-Type must be 'application/json'.");

    for (const route of this.#routes) {
      const match = route.path.exec(path);
      if (!match || route.method !== method) continue;
      checkApiVersion(apiVersion, route.apiVersions, path);
      return route.handle({ match, query: url.searchParams, body, resources: (prefix) => this.#store.list(prefix.toLowerCase()) });
    }
    const operation = operationPath.exec(path);
    if (operation && method === 'GET') {
      this.#checkSubscription(operation[1]);
      return this.#operationAnswer(operation[5], operation[4] === 'operationstatuses', `${this.#baseUrl(req)}${url.pathname}${url.search}`);
    }
    const target = resourcePath.exec(path);
    if (!target) fail(404, 'NotFound', `No HTTP resource was found that matches the request URI '${url.pathname}'.`);
    const [, subscription, group, namespace, type, name] = target;
    this.#checkSubscription(subscription);
    if (!this.opts.resourceGroups.some((g) => g.toLowerCase() === group))
      fail(404, 'ResourceGroupNotFound', `Resource group '${group}' could not be found.`);
    const definition = this.#types.get(`${namespace}/${type}`);
    if (!definition) fail(404, 'InvalidResourceType', `The resource type '${type}' could not be found in the namespace '${namespace}'.`);
    checkApiVersion(apiVersion, definition.apiVersions, `${definition.namespace}/${definition.type}`);
    const key = path;
    if (name === undefined) {
      if (method !== 'GET') fail(405, 'MethodNotAllowed', `The method '${method}' is not allowed on a collection.`);
      return { status: 200, body: { value: this.#store.list(`${key}/`).map((v) => v.resource) } };
    }
    const base = this.#baseUrl(req);
    const operationUrls = (id: string) => ({
      'azure-asyncoperation': `${base}/subscriptions/${subscription}/providers/${definition.namespace}/locations/${this.#location}/operationStatuses/${id}?api-version=${apiVersion}`,
      location: `${base}/subscriptions/${subscription}/providers/${definition.namespace}/locations/${this.#location}/operationResults/${id}?api-version=${apiVersion}`,
      'retry-after': String(this.opts.pollAfterSeconds ?? 1),
    });
    const notFound = (): never =>
      fail(
        404,
        'ResourceNotFound',
        `The Resource '${definition.namespace}/${definition.type}/${name}' under resource group '${group}' was not found.`,
      );

    if (method === 'GET') return { status: 200, body: (this.#store.get(key) ?? notFound()).resource };
    if (method === 'DELETE') {
      const id = this.#store.delete(key);
      return id ? { status: 202, headers: operationUrls(id) } : { status: 204 };
    }
    if (method !== 'PUT') fail(405, 'MethodNotAllowed', `The method '${method}' is not allowed.`);
    if (this.#store.isDeleting(key)) fail(409, 'Conflict', `The resource '${name}' is being deleted; retry once the delete has finished.`);
    const identity = {
      id: this.resourceId(originalCase(url.pathname, 4), `${definition.namespace}/${definition.type}`, originalCase(url.pathname, 8)),
      name: originalCase(url.pathname, 8),
      type: `${definition.namespace}/${definition.type}`,
    };
    const refusal = this.#store.get(key) ? undefined : this.faults.takeCreateRefusal(identity.type);
    if (refusal) return refusal(identity);
    if (!body || typeof body !== 'object' || Array.isArray(body))
      fail(400, 'InvalidRequestContent', 'The request content must be a JSON object.');
    const problems = definition.validate(body as Record<string, unknown>);
    if (problems.length > 0)
      throw new ArmHttpError(400, {
        code: 'InvalidRequestContent',
        message: `The request content was invalid: ${problems.join('; ')}`,
        details: problems.map((message) => ({ code: 'InvalidRequestContent', message })),
      });
    const refused = definition.refuse?.(body as Record<string, unknown>, identity);
    if (refused) return refused;
    const existing = this.#store.get(key);
    if (existing) return { status: 200, body: existing.resource };
    const accepted = definition.accept(body as Record<string, unknown>, identity);
    const id = this.#store.create(key, definition, accepted, this.faults.takeCreateFault(identity.type));
    return { status: definition.createStatus, headers: operationUrls(id), body: this.#store.get(key)?.resource };
  }

  #operationAnswer(id: string, asyncOperation: boolean, url: string): ArmRouteResponse {
    const op = this.#store.operation(id);
    if (!op) fail(404, 'OperationNotFound', `The operation '${id}' could not be found.`);
    const retry = { 'retry-after': String(this.opts.pollAfterSeconds ?? 1) };
    if (asyncOperation) {
      const body = { id: new URL(url).pathname, name: id, status: op.status, ...(op.error ? { error: op.error } : {}) };
      return { status: 200, body, headers: op.status === 'InProgress' ? retry : {} };
    }
    if (op.status === 'InProgress') return { status: 202, headers: { ...retry, location: url } };
    if (op.status === 'Failed') return { status: 400, body: { error: op.error } };
    return op.kind === 'create' ? { status: 200, body: op.resource } : { status: 204 };
  }

  get #location(): string {
    return this.opts.location ?? 'eastus';
  }

  #baseUrl(req: IncomingMessage): string {
    return `https://${req.headers.host ?? new URL(this.#url).host}`;
  }

  #checkSubscription(subscription: string): void {
    if (subscription !== this.opts.subscriptionId.toLowerCase())
      fail(404, 'SubscriptionNotFound', `The subscription '${subscription}' could not be found.`);
  }

  #send(res: ServerResponse, status: number, body: unknown): void {
    res.statusCode = status;
    if (body === undefined) {
      res.end();
      return;
    }
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(body));
  }
}

function fail(status: number, code: string, message: string): never {
  throw new ArmHttpError(status, { code, message });
}

function checkApiVersion(apiVersion: string, supported: readonly string[], what: string): void {
  if (!supported.includes(apiVersion))
    fail(
      400,
      'NoRegisteredProviderFound',
      `No registered resource provider found for API version '${apiVersion}' and type '${what}'. The supported api-versions are '${supported.join(', ')}'.`,
    );
}

/** A path segment as the client spelled it (names keep their case in ids). */
function originalCase(pathname: string, index: number): string {
  return decodeURIComponent(pathname.split('/')[index] ?? '');
}
