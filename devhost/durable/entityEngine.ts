import { randomUUID } from 'node:crypto';
import { Invoker } from '../invoker';
import { HostLogger } from '../logger';
import { DurableFunctionIndex } from './durableFunctionIndex';
import {
  EntityOperationMessage,
  EntityResponseMessage,
  entityInstanceId,
  InstanceMessage,
  InstanceMeta,
  lockOperation,
  parseEntityInstanceId,
  releaseOperation,
} from './instanceModel';
import { maxMessagesPerCheckpoint, TaskHubStore } from './taskHubStore';
import { fromTypedData } from './typedData';

export interface EntityEngineDeps {
  store: TaskHubStore;
  functions: DurableFunctionIndex;
  invoker: Invoker;
  logger: HostLogger;
  send(target: string, message: InstanceMessage): Promise<void>;
}

type Operation = EntityOperationMessage;

interface LiveEntity {
  meta: InstanceMeta;
  pending: { rowKey: string; operation: Operation }[];
  inboxKeys: Set<string>;
  running: boolean;
}

/** What `durable-functions`' Entity handler returns for a batch (EntityState). */
interface EntityBatchResult {
  entityExists: boolean;
  entityState?: string;
  results: { isError: boolean; result?: string }[];
  signals: { target: { name: string; key: string }; name: string; input?: string }[];
}

/** Request ids remembered per entity, so a request re-sent after a crash is answered, not re-applied. */
const rememberedRequests = 100;
const batchLimit = Math.min(50, maxMessagesPerCheckpoint);

/**
 * Runs entities: operations queue in the entity's inbox and run in batches through the entity
 * function; the new state and the consumed messages commit in one transaction, then the callers
 * get their responses. A locked entity runs only its lock owner's operations.
 */
export class EntityEngine {
  readonly #deps: EntityEngineDeps;
  readonly #live = new Map<string, LiveEntity>();
  readonly #loading = new Map<string, Promise<LiveEntity>>();
  #stopped = false;

  constructor(deps: EntityEngineDeps) {
    this.#deps = deps;
  }

  stop(): void {
    this.#stopped = true;
  }

  async deliver(entityId: string, rowKey: string, message: InstanceMessage): Promise<void> {
    if (message.kind !== 'entityOperation') return;
    const live = await this.#ensureLoaded(entityId);
    if (live.inboxKeys.has(rowKey)) return;
    live.inboxKeys.add(rowKey);
    live.pending.push({ rowKey, operation: message });
    this.#kick(live);
  }

  async recover(entityId: string): Promise<void> {
    await this.#ensureLoaded(entityId);
  }

  /** The entity's state, or undefined when it does not exist. */
  async readState(entityId: string): Promise<{ exists: boolean; state?: string }> {
    const meta = this.#live.get(entityId)?.meta ?? (await this.#deps.store.readMeta(entityId));
    return { exists: meta?.entityExists === true, state: meta?.entityState };
  }

  #ensureLoaded(entityId: string): Promise<LiveEntity> {
    const live = this.#live.get(entityId);
    if (live) return Promise.resolve(live);
    let loading = this.#loading.get(entityId);
    if (!loading) {
      loading = this.#load(entityId).finally(() => this.#loading.delete(entityId));
      this.#loading.set(entityId, loading);
    }
    return loading;
  }

  async #load(entityId: string): Promise<LiveEntity> {
    const loaded = await this.#deps.store.load(entityId);
    const now = new Date().toISOString();
    const meta: InstanceMeta = loaded?.meta ?? {
      instanceId: entityId,
      name: parseEntityInstanceId(entityId).name,
      status: 'Running',
      createdTime: now,
      lastUpdatedTime: now,
      executionId: '',
      generation: 0,
      chunks: 0,
      nextSequence: 0,
      entityExists: false,
    };
    const live: LiveEntity = { meta, pending: [], inboxKeys: new Set(), running: false };
    for (const item of loaded?.inbox ?? []) {
      if (item.message.kind !== 'entityOperation') continue;
      live.inboxKeys.add(item.rowKey);
      live.pending.push({ rowKey: item.rowKey, operation: item.message });
    }
    this.#live.set(entityId, live);
    this.#kick(live);
    return live;
  }

  #kick(live: LiveEntity): void {
    if (live.running || this.#stopped || this.#runnable(live).length === 0) return;
    live.running = true;
    this.#batch(live).then(
      () => {
        live.running = false;
        setImmediate(() => this.#kick(live));
      },
      (err: Error) => {
        this.#deps.logger.host(
          'error',
          `Entity '${live.meta.instanceId}': a batch failed and will be retried: ${err.stack ?? err.message}`,
        );
        setTimeout(() => {
          live.running = false;
          this.#kick(live);
        }, 1000);
      },
    );
  }

  /** Operations that may run now: all of them, or only the lock owner's while the entity is locked. */
  #runnable(live: LiveEntity): { rowKey: string; operation: Operation }[] {
    const lock = live.meta.lockedBy;
    const runnable = [];
    for (const item of live.pending) {
      if (lock && item.operation.parent !== lock.parent) continue;
      runnable.push(item);
      if (item.operation.op === lockOperation || runnable.length >= batchLimit) break;
    }
    return runnable;
  }

  async #batch(live: LiveEntity): Promise<void> {
    const items = this.#runnable(live);
    const meta: InstanceMeta = { ...live.meta, lastUpdatedTime: new Date().toISOString() };
    const recent = { ...(meta.recentRequests ?? {}) };
    const responses: { parent: string; requestId: string; response: EntityResponseMessage }[] = [];
    const outgoing: { target: string; message: InstanceMessage }[] = [];
    const operations: Operation[] = [];
    let lockedBy = live.meta.lockedBy;
    for (const { operation } of items) {
      const seen = recent[operation.id];
      // A lock request sent again after a crash is taken again (the same owner re-locking is a no-op),
      // so that it travels on to the rest of the lock set.
      if (seen && operation.op !== lockOperation) {
        if (!operation.signal && operation.parent) responses.push({ parent: operation.parent, requestId: operation.id, response: seen });
        continue;
      }
      if (operation.op === lockOperation) {
        const lockSet = JSON.parse(operation.input ?? '[]') as string[];
        lockedBy = { parent: operation.parent ?? '', requestId: operation.id, lockSet };
        const next = lockSet[lockSet.indexOf(meta.instanceId) + 1];
        if (next) outgoing.push({ target: next, message: operation });
        else responses.push({ parent: lockedBy.parent, requestId: operation.id, response: {} });
        recent[operation.id] = {};
        continue;
      }
      if (operation.op === releaseOperation) {
        lockedBy = undefined;
        recent[operation.id] = {};
        continue;
      }
      operations.push(operation);
    }
    if (operations.length > 0) {
      const result = await this.#run(meta, operations);
      meta.entityExists = result.entityExists;
      meta.entityState = result.entityExists ? result.entityState : undefined;
      operations.forEach((operation, i) => {
        const outcome = result.results[i] ?? { isError: true, result: JSON.stringify('The entity function returned no result.') };
        const response: EntityResponseMessage = outcome.isError
          ? { result: outcome.result, exceptionType: 'Error' }
          : { result: outcome.result };
        recent[operation.id] = operation.signal ? {} : response;
        if (!operation.signal && operation.parent) responses.push({ parent: operation.parent, requestId: operation.id, response });
      });
      for (const signal of result.signals) {
        outgoing.push({
          target: entityInstanceId(signal.target.name, signal.target.key),
          message: { kind: 'entityOperation', id: randomUUID(), op: signal.name, input: signal.input || undefined, signal: true },
        });
      }
    }
    const ids = Object.keys(recent);
    for (const id of ids.slice(0, Math.max(0, ids.length - rememberedRequests))) delete recent[id];
    meta.recentRequests = recent;
    meta.lockedBy = lockedBy;
    const consumed = items.map((i) => i.rowKey);
    await this.#deps.store.checkpoint({ meta, newEvents: [], newActions: [], consumed });
    const done = new Set(consumed);
    live.pending = live.pending.filter((i) => !done.has(i.rowKey));
    for (const rowKey of consumed) live.inboxKeys.delete(rowKey);
    live.meta = meta;
    for (const r of responses) await this.#deps.send(r.parent, { kind: 'entityResponse', requestId: r.requestId, response: r.response });
    for (const o of outgoing) await this.#deps.send(o.target, o.message);
  }

  async #run(meta: InstanceMeta, operations: Operation[]): Promise<EntityBatchResult> {
    const { name, key } = parseEntityInstanceId(meta.instanceId);
    const target = this.#deps.functions.entity(name);
    const failAll = (message: string): EntityBatchResult => ({
      entityExists: meta.entityExists === true,
      entityState: meta.entityState,
      results: operations.map(() => ({ isError: true, result: JSON.stringify(message) })),
      signals: [],
    });
    if (!target) return failAll(`The function '${name}' doesn't exist, is disabled, or is not an entity function.`);
    const trigger = {
      self: { name, key },
      exists: meta.entityExists === true,
      state: meta.entityState,
      batch: operations.map((o) => ({ id: o.id, name: o.op, input: o.input, signal: o.signal })),
    };
    const outcome = await this.#deps.invoker.invoke(target.fn, {
      inputData: [{ name: target.triggerName, data: { json: JSON.stringify(trigger) } }],
      triggerMetadata: {},
    });
    if (!outcome.ok) return failAll(outcome.error.message);
    return fromTypedData(outcome.response.returnValue) as EntityBatchResult;
  }
}
