import { ArmError } from './armTypes';
import { CreateFault } from './resourceStore';

/** Which requests a canned answer applies to: all given conditions must hold. */
export interface RequestMatch {
  method?: string;
  /** A substring of the path (without the query). */
  pathIncludes?: string;
}

export interface CannedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** A create ARM refuses outright (no resource, no operation): built from the resource the PUT would have created. */
export type CreateRefusal = (resource: { id: string; name: string; type: string }) => CannedResponse;

interface Intercept {
  match: RequestMatch;
  remaining: number;
  response: CannedResponse;
}

/**
 * Fault injection for the fakes. Canned answers (`throttle`, `respond`) replace the next matching requests before
 * routing; create faults (`failNextCreate`, `holdNextCreate`) change how the next create of a resource type unfolds.
 */
export class FaultInjector {
  readonly #intercepts: Intercept[] = [];
  readonly #createFaults = new Map<string, CreateFault[]>();
  readonly #createRefusals = new Map<string, CreateRefusal[]>();

  /** Answers the next `times` matching requests with 429 and `Retry-After` (seconds), as ARM's throttling does. */
  throttle(match: RequestMatch, opts: { times?: number; retryAfterSeconds?: number } = {}): void {
    const retryAfter = String(opts.retryAfterSeconds ?? 1);
    this.respond(match, {
      times: opts.times,
      status: 429,
      headers: { 'retry-after': retryAfter },
      body: { error: { code: 'TooManyRequests', message: `The request is throttled. Retry after ${retryAfter} seconds.` } },
    });
  }

  /** Answers the next `times` (default 1) matching requests with a canned response. */
  respond(match: RequestMatch, response: CannedResponse & { times?: number }): void {
    this.#intercepts.push({ match, remaining: response.times ?? 1, response });
  }

  /** The next create of `resourceType` (e.g. `Microsoft.HDInsight/clusters`) is accepted, then ends `Failed` with `error`. */
  failNextCreate(resourceType: string, error: ArmError, opts: { afterMs?: number } = {}): void {
    this.#queueCreateFault(resourceType, { fail: { error, afterMs: opts.afterMs } });
  }

  /** The next create of `resourceType` never finishes provisioning (a provisioning timeout). */
  holdNextCreate(resourceType: string): void {
    this.#queueCreateFault(resourceType, { hold: true });
  }

  /**
   * The next create of `resourceType` is refused synchronously, before the provider sees the body, as ARM refuses
   * a caller without permission or a provider refuses a request over quota (see `hdinsightCreateRefusals`).
   */
  refuseNextCreate(resourceType: string, refusal: CreateRefusal): void {
    const key = resourceType.toLowerCase();
    this.#createRefusals.set(key, [...(this.#createRefusals.get(key) ?? []), refusal]);
  }

  /** Removes every pending fault. */
  clear(): void {
    this.#intercepts.length = 0;
    this.#createFaults.clear();
    this.#createRefusals.clear();
  }

  /** The canned response for this request, consuming it; undefined to serve it normally. */
  intercept(method: string, path: string): CannedResponse | undefined {
    const found = this.#intercepts.find(
      (i) => (!i.match.method || i.match.method === method) && (!i.match.pathIncludes || path.includes(i.match.pathIncludes)),
    );
    if (!found) return undefined;
    found.remaining -= 1;
    if (found.remaining <= 0) this.#intercepts.splice(this.#intercepts.indexOf(found), 1);
    return found.response;
  }

  /** The fault for the create about to start, consuming it. */
  takeCreateFault(resourceType: string): CreateFault | undefined {
    return this.#createFaults.get(resourceType.toLowerCase())?.shift();
  }

  /** The refusal of the create about to start, consuming it. */
  takeCreateRefusal(resourceType: string): CreateRefusal | undefined {
    return this.#createRefusals.get(resourceType.toLowerCase())?.shift();
  }

  #queueCreateFault(resourceType: string, fault: CreateFault): void {
    const key = resourceType.toLowerCase();
    this.#createFaults.set(key, [...(this.#createFaults.get(key) ?? []), fault]);
  }
}
