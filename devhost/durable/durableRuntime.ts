import { randomUUID } from 'node:crypto';
import { Invoker } from '../invoker';
import { HostLogger } from '../logger';
import { ActivityRunner } from './activityRunner';
import { DurableFunctionIndex } from './durableFunctionIndex';
import { EntityEngine } from './entityEngine';
import { completedTaskId, EventType, HistoryEvent } from './historyEvents';
import { entityInstanceId, InboxItem, InstanceMessage, InstanceMeta, isEntityId, isTerminal, parseEntityInstanceId } from './instanceModel';
import { newInstanceMeta, OrchestrationEngine } from './orchestrationEngine';
import { inboxRowKey } from './tableKeys';
import { IndexQuery, TaskHubStore } from './taskHubStore';
import { TimerService } from './timerService';

export interface DurableLimits {
  maxConcurrentActivityFunctions: number;
  maxConcurrentOrchestratorFunctions: number;
}

export type StartOutcome =
  { kind: 'started'; instanceId: string } | { kind: 'conflict'; message: string } | { kind: 'unknownFunction'; message: string };

/** Outcome of an operation on an existing instance: 404 and 410 in the HTTP API. */
export type InstanceOperationOutcome = 'accepted' | 'notFound' | 'gone';

export interface EntityQuery {
  /** The entity function's name (entity ids keep it lower-cased). */
  name?: string;
  lastOperationTimeFrom?: string;
  lastOperationTimeTo?: string;
  fetchState: boolean;
  top?: number;
  continuationToken?: string;
}

export interface EntityView {
  name: string;
  key: string;
  lastOperationTime: string;
  /** JSON text, with fetchState only. */
  state?: string;
}

export interface InstanceView {
  meta: InstanceMeta;
  history?: HistoryEvent[];
}

/** The Durable task hub on this host: both engines, their shared store, and the client operations. */
export class DurableRuntime {
  readonly store: TaskHubStore;
  readonly #functions: DurableFunctionIndex;
  readonly #timers = new TimerService();
  readonly #orchestrations: OrchestrationEngine;
  readonly #entities: EntityEngine;
  readonly #logger: HostLogger;

  constructor(store: TaskHubStore, functions: DurableFunctionIndex, invoker: Invoker, logger: HostLogger, limits: DurableLimits) {
    this.store = store;
    this.#functions = functions;
    this.#logger = logger;
    const send = (target: string, message: InstanceMessage): Promise<void> => this.send(target, message);
    this.#orchestrations = new OrchestrationEngine({
      store,
      functions,
      invoker,
      logger,
      activities: new ActivityRunner(invoker, limits.maxConcurrentActivityFunctions),
      timers: this.#timers,
      maxConcurrentOrchestrations: limits.maxConcurrentOrchestratorFunctions,
      send,
    });
    this.#entities = new EntityEngine({ store, functions, invoker, logger, send });
  }

  /** Resumes every instance the task hub says has open work (after a restart or a crash). */
  async recoverAll(): Promise<number> {
    const repaired = await this.store.repairIndex();
    if (repaired > 0) this.#logger.host('warning', `Repaired ${repaired} instances-index row(s) a crash had left stale.`);
    const ids = await this.store.instancesWithWork();
    await Promise.all(ids.map((id) => (isEntityId(id) ? this.#entities.recover(id) : this.#orchestrations.recover(id))));
    return ids.length;
  }

  stop(): void {
    this.#timers.stop();
    this.#orchestrations.stop();
    this.#entities.stop();
  }

  /** Writes a message to the target's inbox, then hands it to the engine that runs the target. */
  async send(target: string, message: InstanceMessage): Promise<void> {
    const rowKey = await this.store.appendMessage(target, message);
    if (isEntityId(target)) await this.#entities.deliver(target, rowKey, message);
    else await this.#orchestrations.deliver(target, rowKey, message);
  }

  async startNew(name: string, instanceId: string | undefined, input: string | undefined): Promise<StartOutcome> {
    if (!this.#functions.orchestrator(name)) {
      return { kind: 'unknownFunction', message: `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.` };
    }
    const id = instanceId ?? randomUUID().replace(/-/g, '');
    const meta = newInstanceMeta(id, name, input);
    if (await this.store.tryCreate(meta)) {
      this.#orchestrations.adopt(meta);
      return { kind: 'started', instanceId: id };
    }
    const existing = await this.meta(id);
    if (existing && !isTerminal(existing.status)) {
      return { kind: 'conflict', message: `An instance with ID '${id}' already exists and is ${existing.status.toLowerCase()}.` };
    }
    // A finished instance's id may be reused: its old history goes, as the extension replaces it.
    await this.store.purge(id);
    if (!(await this.store.tryCreate(meta))) return { kind: 'conflict', message: `An instance with ID '${id}' was created concurrently.` };
    this.#orchestrations.adopt(meta);
    return { kind: 'started', instanceId: id };
  }

  async meta(instanceId: string): Promise<InstanceMeta | undefined> {
    return this.#orchestrations.liveView(instanceId)?.meta ?? (await this.store.readMeta(instanceId));
  }

  async view(instanceId: string, withHistory: boolean): Promise<InstanceView | undefined> {
    const live = this.#orchestrations.liveView(instanceId);
    if (live) return { meta: live.meta, history: withHistory ? [...live.history] : undefined };
    if (!withHistory) {
      const meta = await this.store.readMeta(instanceId);
      return meta && { meta };
    }
    const loaded = await this.store.load(instanceId);
    return loaded?.meta && { meta: loaded.meta, history: loaded.history };
  }

  async list(query: IndexQuery): Promise<{ views: InstanceView[]; continuationToken?: string }> {
    const page = await this.store.listIndex(query);
    const metas = await Promise.all(page.instanceIds.map((id) => this.meta(id)));
    // The instance's own row is the truth: an index row a running episode has not rewritten yet does not decide.
    const wanted = query.runtimeStatus?.length ? new Set(query.runtimeStatus) : undefined;
    const views = metas.flatMap((meta) => (meta && (!wanted || wanted.has(meta.status)) ? [{ meta }] : []));
    return { views, continuationToken: page.continuationToken };
  }

  async #toRunningInstance(instanceId: string, message: InstanceMessage): Promise<InstanceOperationOutcome> {
    const meta = await this.meta(instanceId);
    if (!meta || isEntityId(instanceId)) return 'notFound';
    if (isTerminal(meta.status)) return 'gone';
    await this.send(instanceId, message);
    return 'accepted';
  }

  raiseEvent(instanceId: string, name: string, input: string | undefined): Promise<InstanceOperationOutcome> {
    return this.#toRunningInstance(instanceId, { kind: 'event', name, input });
  }

  terminate(instanceId: string, reason: string | undefined): Promise<InstanceOperationOutcome> {
    return this.#toRunningInstance(instanceId, { kind: 'terminate', reason });
  }

  suspend(instanceId: string, reason: string | undefined): Promise<InstanceOperationOutcome> {
    return this.#toRunningInstance(instanceId, { kind: 'suspend', reason });
  }

  resume(instanceId: string, reason: string | undefined): Promise<InstanceOperationOutcome> {
    return this.#toRunningInstance(instanceId, { kind: 'resume', reason });
  }

  /** Deletes a finished instance's state; running instances are not purged (the provider refuses too). */
  async purge(instanceId: string): Promise<boolean> {
    const meta = await this.meta(instanceId);
    if (!meta || !isTerminal(meta.status)) return false;
    await this.store.purge(instanceId);
    return true;
  }

  async purgeBy(query: IndexQuery): Promise<number> {
    let deleted = 0;
    let continuationToken: string | undefined;
    do {
      const page = await this.list({ ...query, continuationToken, top: 100 });
      for (const view of page.views) if (await this.purge(view.meta.instanceId)) deleted++;
      continuationToken = page.continuationToken;
    } while (continuationToken);
    return deleted;
  }

  /**
   * Sets a failed instance running again from its last good state: the failures are taken out of
   * its history, so the failed activities and sub-orchestrations run again.
   */
  async rewind(instanceId: string, reason: string | undefined): Promise<InstanceOperationOutcome | 'notFailed'> {
    const loaded = await this.store.load(instanceId);
    if (!loaded?.meta) return 'notFound';
    if (loaded.meta.status !== 'Failed') return 'notFailed';
    const failed = new Set([EventType.TaskFailed, EventType.SubOrchestrationInstanceFailed, EventType.ExecutionCompleted]);
    const history = loaded.history.filter((e) => !failed.has(e.EventType));
    const reopened = loaded.history
      .filter((e) => e.EventType !== EventType.ExecutionCompleted && failed.has(e.EventType))
      .map(completedTaskId);
    const meta: InstanceMeta = {
      ...loaded.meta,
      status: 'Running',
      output: undefined,
      generation: loaded.meta.generation + 1,
      chunks: 1,
      lastUpdatedTime: new Date().toISOString(),
    };
    // The replay message goes in with the checkpoint: a crash cannot leave a rewound instance without work.
    const replay: InboxItem = { rowKey: inboxRowKey(), message: { kind: 'rewound', reason } };
    await this.store.checkpoint({ meta, newEvents: history, newActions: loaded.actions, consumed: [], carried: [replay] });
    await this.store.writeIndex(meta);
    await this.store.deleteOldGenerations(instanceId, meta.generation);
    this.#logger.host(
      'information',
      `Rewound '${instanceId}' (${reason ?? 'no reason given'}): tasks ${reopened.join(', ') || 'none'} run again.`,
    );
    await this.#orchestrations.recover(instanceId);
    return 'accepted';
  }

  async restart(instanceId: string, newInstanceId: boolean): Promise<StartOutcome | undefined> {
    const meta = await this.meta(instanceId);
    if (!meta) return undefined;
    return this.startNew(meta.name, newInstanceId ? undefined : instanceId, meta.input);
  }

  /** Entities that exist, as the extension's ListEntitiesAsync: filtered by name and last operation time. */
  async listEntities(query: EntityQuery): Promise<{ entities: EntityView[]; continuationToken?: string }> {
    const page = await this.store.listEntityIds(query.name, query.top ?? 100, query.continuationToken);
    const metas = await Promise.all(page.instanceIds.map((id) => this.store.readMeta(id)));
    const from = query.lastOperationTimeFrom ?? '';
    const to = query.lastOperationTimeTo ?? '\uffff';
    const entities = metas.flatMap((meta) => {
      if (!meta || meta.lastUpdatedTime < from || meta.lastUpdatedTime > to) return [];
      const { name, key } = parseEntityInstanceId(meta.instanceId);
      return [{ name, key, lastOperationTime: meta.lastUpdatedTime, state: query.fetchState ? (meta.entityState ?? 'null') : undefined }];
    });
    return { entities, continuationToken: page.continuationToken };
  }

  readEntity(name: string, key: string): Promise<{ exists: boolean; state?: string }> {
    return this.#entities.readState(entityInstanceId(name, key));
  }

  async signalEntity(name: string, key: string, operation: string, input: string | undefined): Promise<void> {
    await this.send(entityInstanceId(name, key), { kind: 'entityOperation', id: randomUUID(), op: operation, input, signal: true });
  }
}
