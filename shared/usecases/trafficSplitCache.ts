import { routableDeployments } from '../domain/trafficSplit';
import { DeploymentRecord, ModelRegistry } from '../ports/modelRegistry';

/** Where a model's scoring requests may go: whether it exists, and its deployments that take traffic. */
export interface ModelRouting {
  known: boolean;
  routable: DeploymentRecord[];
}

export interface TrafficSplitCacheOptions {
  /** How often every model in use is read again, off the request path. */
  refreshMs: number;
  /** A split older than this (the refreshes having failed) is not served: the request reads the registry itself. */
  maxStaleMs: number;
  /** A model not asked for in this long is dropped rather than refreshed. */
  forgetAfterMs: number;
  onRefreshError(model: string, err: unknown): void;
  /** Milliseconds on a monotonic clock. */
  now?: () => number;
}

interface Entry {
  routing: ModelRouting;
  readAt: number;
  usedAt: number;
}

/**
 * Each model's traffic split in memory, so a scoring request reads no registry. The first request for a model
 * reads it; a background refresh then reads every model in use each `refreshMs`, so a change written by another
 * instance is served within `refreshMs` plus one registry read. A write made through this instance calls
 * `invalidate`, and the next request reads the split afresh. An unknown model is remembered for `refreshMs` only,
 * so a model registered meanwhile is found within the same bound. A failed refresh keeps the last good split.
 */
export class TrafficSplitCache {
  readonly #entries = new Map<string, Entry>();
  /** Bumped by `invalidate`: a read that began before it must not store what it read. */
  readonly #generations = new Map<string, number>();
  readonly #reading = new Map<string, Promise<ModelRouting>>();
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    private readonly registry: Pick<ModelRegistry, 'listDeployments' | 'listVersions'>,
    private readonly options: TrafficSplitCacheOptions,
  ) {
    this.#now = options.now ?? (() => performance.now());
  }

  /** The model's routing: from memory unless unknown to this instance, expired (unknown models) or too stale. */
  async routingOf(model: string): Promise<ModelRouting> {
    const entry = this.#entries.get(model);
    const now = this.#now();
    if (entry && now - entry.readAt < (entry.routing.known ? this.options.maxStaleMs : this.options.refreshMs)) {
      entry.usedAt = now;
      return entry.routing;
    }
    return this.#read(model);
  }

  /** Forgets what is known of `model`: the next request for it reads the registry. */
  invalidate(model: string): void {
    this.#generations.set(model, (this.#generations.get(model) ?? 0) + 1);
    this.#entries.delete(model);
    this.#reading.delete(model);
  }

  /** Reads every model in use again; models not asked for lately are dropped. Runs on the timer. */
  async refresh(): Promise<void> {
    const now = this.#now();
    const models: string[] = [];
    for (const [model, entry] of this.#entries) {
      if (entry.routing.known ? now - entry.usedAt > this.options.forgetAfterMs : now - entry.readAt >= this.options.refreshMs)
        this.#entries.delete(model);
      else if (entry.routing.known) models.push(model);
    }
    await Promise.all(
      models.map((model) =>
        this.#read(model).then(
          () => undefined,
          (err: unknown) => this.options.onRefreshError(model, err),
        ),
      ),
    );
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #read(model: string): Promise<ModelRouting> {
    const pending = this.#reading.get(model);
    if (pending) return pending;
    const generation = this.#generations.get(model) ?? 0;
    const startedAt = this.#now();
    const read = this.#readRegistry(model)
      .then((routing) => {
        if ((this.#generations.get(model) ?? 0) === generation) {
          const usedAt = this.#entries.get(model)?.usedAt ?? startedAt;
          this.#entries.set(model, { routing, readAt: startedAt, usedAt });
        }
        return routing;
      })
      .finally(() => {
        if (this.#reading.get(model) === read) this.#reading.delete(model);
      });
    this.#reading.set(model, read);
    this.#schedule();
    return read;
  }

  async #readRegistry(model: string): Promise<ModelRouting> {
    const deployments = await this.registry.listDeployments(model);
    const known = deployments.length > 0 || (await this.registry.listVersions(model)).length > 0;
    return { known, routable: routableDeployments(deployments) };
  }

  /** A refresh `refreshMs` after the start of the last, while any model is in use; never holds the process open. */
  #schedule(delayMs = this.options.refreshMs): void {
    if (this.#timer || this.#stopped) return;
    this.#timer = setTimeout(() => void this.#tick(), delayMs);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    const startedAt = this.#now();
    await this.refresh();
    this.#timer = undefined;
    if (this.#entries.size > 0) this.#schedule(Math.max(0, startedAt + this.options.refreshMs - this.#now()));
  }
}
