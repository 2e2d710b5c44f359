import type { CannedResponse } from './faults';

/** An ARM resource as the fake stores and returns it. */
export interface ArmResource {
  id: string;
  name: string;
  type: string;
  location?: string;
  tags?: Record<string, string>;
  properties: Record<string, unknown>;
  [field: string]: unknown;
}

/** ARM's error body: `{ error: { code, message, details? } }`. */
export interface ArmError {
  code: string;
  message: string;
  details?: ArmError[];
}

/** One step of a create: `afterMs` after the PUT, these properties are merged into the resource. */
export interface LifecyclePhase {
  afterMs: number;
  properties: Record<string, unknown>;
}

/** How a resource type's resources evolve, all times relative to the request that started the change. */
export interface ResourceLifecycle {
  /** Ordered by `afterMs`; the first applies at once (usually `provisioningState: Creating`), the last is the settled state. */
  create: LifecyclePhase[];
  /** Merged in when a create fails with `error` (fault injection), together with `provisioningState: Failed`. */
  failed(error: ArmError): Record<string, unknown>;
  /** Merged in while a delete runs. */
  deleting: Record<string, unknown>;
  /** How long a delete takes before GET answers 404. */
  deleteMs: number;
}

/**
 * A resource type the fake serves: `PUT|GET|DELETE /subscriptions/{s}/resourceGroups/{rg}/providers/{namespace}/{type}/{name}`
 * and the list `GET .../providers/{namespace}/{type}`.
 */
export interface ResourceTypeDefinition {
  namespace: string;
  type: string;
  /** The api-versions the published REST spec defines for the operations the adapters use; others get 400. */
  apiVersions: readonly string[];
  /** Problems with a PUT body (spec-required fields, values); any problem answers 400 `InvalidRequestContent`. */
  validate(body: Record<string, unknown>): string[];
  /**
   * What the provider itself refuses of a well-formed body (names, versions, sizes, policies), answered with its own
   * status, error code and body shape; undefined when it accepts.
   */
  refuse?(body: Record<string, unknown>, identity: { id: string; name: string; type: string }): CannedResponse | undefined;
  /**
   * The resource as stored from a valid PUT body, with write-only fields (passwords) left out as Azure does; `hidden`
   * keeps what only the fake itself needs later (e.g. the gateway credentials the Livy fake checks).
   */
  accept(body: Record<string, unknown>, identity: { id: string; name: string; type: string }): { resource: ArmResource; hidden?: unknown };
  /** The status of a create's first response: 201 for most providers, 200 where the spec says so (HDInsight). */
  createStatus: 200 | 201;
  lifecycle: ResourceLifecycle;
}

/** A request as the fake saw it, for tests to assert on (the bearer token is not kept). */
export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  status: number;
  at: number;
}
