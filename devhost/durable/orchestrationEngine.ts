import { randomUUID } from 'node:crypto';
import { Invoker } from '../invoker';
import { HostLogger } from '../logger';
import { ActivityRunner } from './activityRunner';
import { Effect, httpActivityName, planActions } from './actionPlanner';
import { sendDurableHttpRequest } from './durableHttp';
import { DurableFunctionIndex } from './durableFunctionIndex';
import { completedTaskId, EventType, failureFields, HistoryEvent, historyEvent } from './historyEvents';
import {
  EntityOperationMessage,
  InboxItem,
  InstanceMessage,
  InstanceMeta,
  isTerminal,
  lockOperation,
  RecordedAction,
  releaseOperation,
} from './instanceModel';
import { ActionType, DurableHttpRequestWire, flattenActions } from './sdkActions';
import { inboxRowKey } from './tableKeys';
import { invokeOrchestrator, replaySchemaVersion } from './orchestratorInvocation';
import { RetryState, RetryTracker } from './retryTracker';
import { nextAttemptDelayMs } from './retryPolicy';
import { Semaphore } from './semaphore';
import { maxMessagesPerCheckpoint, TaskHubStore } from './taskHubStore';
import { TimerService } from './timerService';

export interface OrchestrationEngineDeps {
  store: TaskHubStore;
  functions: DurableFunctionIndex;
  invoker: Invoker;
  logger: HostLogger;
  activities: ActivityRunner;
  timers: TimerService;
  maxConcurrentOrchestrations: number;
  /** Durable delivery to another instance's inbox (an orchestration or an entity). */
  send(target: string, message: InstanceMessage): Promise<void>;
}

/** Work waiting for an instance's next episode: an in-memory completion, or a durable inbox message. */
interface PendingItem {
  event?: HistoryEvent;
  message?: InstanceMessage;
  /** Set for messages kept in the inbox: deleted by the checkpoint of the episode that consumes them. */
  rowKey?: string;
}

interface LiveInstance {
  meta: InstanceMeta;
  history: HistoryEvent[];
  actions: RecordedAction[];
  retries: RetryTracker;
  completed: Set<number>;
  pending: PendingItem[];
  inboxKeys: Set<string>;
  running: boolean;
  /** callHttp tasks with the async pattern on: a 202 with Location makes the SDK wait for a timer and a new request. */
  pollingHttp: Map<number, DurableHttpRequestWire>;
}

const episodeItemLimit = 5000;
/** The SDK's defaultHttpAsyncRequestSleepTimeMillseconds, which the engine passes it. */
const defaultHttpPollMs = 30_000;

/** Where to poll next, when a callHttp result is a 202 with a Location header. */
function pollLocation(event: HistoryEvent): { uri: string; retryAfterMs?: number } | undefined {
  if (event.EventType !== EventType.TaskCompleted) return undefined;
  const response = JSON.parse(event.Result as string) as { statusCode?: number; headers?: Record<string, string> };
  if (response.statusCode !== 202) return undefined;
  const headers = Object.fromEntries(Object.entries(response.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  if (!headers.location) return undefined;
  const retryAfter = headers['retry-after'];
  return { uri: headers.location, retryAfterMs: retryAfter === undefined ? undefined : Number(retryAfter) * 1000 };
}

function pollingHttpTasks(history: HistoryEvent[], completed: Set<number>): Map<number, DurableHttpRequestWire> {
  const open = new Map<number, DurableHttpRequestWire>();
  for (const event of history) {
    if (event.EventType !== EventType.TaskScheduled || event.Name !== httpActivityName || completed.has(event.EventId)) continue;
    const request = JSON.parse(event.Input as string) as DurableHttpRequestWire;
    if (request.asynchronousPatternEnabled !== false) open.set(event.EventId, request);
  }
  return open;
}

export function newInstanceMeta(
  instanceId: string,
  name: string,
  input: string | undefined,
  parent?: { id: string; taskId: number },
): InstanceMeta {
  const now = new Date().toISOString();
  return {
    instanceId,
    name,
    status: 'Pending',
    input,
    createdTime: now,
    lastUpdatedTime: now,
    executionId: randomUUID().replace(/-/g, ''),
    generation: 0,
    chunks: 0,
    nextSequence: 0,
    parentInstanceId: parent?.id,
    parentTaskId: parent?.taskId,
  };
}

/**
 * External events the execution received but never waited for: each waitForExternalEvent takes
 * one event of its name, in order; the rest go to the execution after a continueAsNew.
 */
function unconsumedEvents(history: HistoryEvent[], actions: unknown): InstanceMessage[] {
  const waits = new Map<string, number>();
  for (const action of flattenActions(actions)) {
    if (action.actionType === ActionType.WaitForExternalEvent && action.externalEventName)
      waits.set(action.externalEventName, (waits.get(action.externalEventName) ?? 0) + 1);
  }
  const entityRequests = new Set(
    history.filter((e) => e.EventType === EventType.EventSent).map((e) => (JSON.parse(e.Input as string) as { id: string }).id),
  );
  const carried: InstanceMessage[] = [];
  for (const event of history) {
    if (event.EventType !== EventType.EventRaised || entityRequests.has(event.Name as string)) continue;
    const name = event.Name as string;
    const left = waits.get(name) ?? 0;
    if (left > 0) waits.set(name, left - 1);
    else carried.push({ kind: 'event', name, input: event.Input as string | undefined });
  }
  return carried;
}

/** The entities a critical section of this execution still holds: locked, and not released since. */
function heldLocks(history: HistoryEvent[]): string[] {
  let held: string[] = [];
  for (const event of history) {
    if (event.EventType !== EventType.EventSent) continue;
    const request = JSON.parse(event.Input as string) as EntityOperationMessage;
    if (request.op === lockOperation) held = JSON.parse(request.input ?? '[]') as string[];
    else if (request.op === releaseOperation) held = held.filter((entity) => entity !== event.InstanceId);
  }
  return held;
}

function missingFunction(kind: string, name: string): Error {
  return new Error(`The function '${name}' doesn't exist, is disabled, or is not ${kind} function.`);
}

/**
 * Runs orchestration instances: each episode replays the orchestrator over its history plus the
 * new events, checks and applies the actions it returns, checkpoints the result in one table
 * transaction, and only then starts the work it asked for. Completions of in-process work are not
 * persisted: after a crash the history says which tasks are still open, and they run again.
 */
export class OrchestrationEngine {
  readonly #deps: OrchestrationEngineDeps;
  readonly #live = new Map<string, LiveInstance>();
  readonly #loading = new Map<string, Promise<LiveInstance | undefined>>();
  readonly #slots: Semaphore;
  #stopped = false;

  constructor(deps: OrchestrationEngineDeps) {
    this.#deps = deps;
    this.#slots = new Semaphore(deps.maxConcurrentOrchestrations);
  }

  stop(): void {
    this.#stopped = true;
  }

  /** The freshest view of an instance: the live one when it is loaded. */
  liveView(instanceId: string): { meta: InstanceMeta; history: HistoryEvent[] } | undefined {
    const live = this.#live.get(instanceId);
    return live && { meta: live.meta, history: live.history };
  }

  /** Starts running an instance whose meta row was just created. */
  adopt(meta: InstanceMeta): void {
    const live = this.#newLive(meta, [], []);
    this.#live.set(meta.instanceId, live);
    this.#kick(live);
  }

  /** Hands a message already written to the instance's inbox to the live instance (loading it if needed). */
  async deliver(instanceId: string, rowKey: string, message: InstanceMessage): Promise<void> {
    const live = await this.#ensureLoaded(instanceId);
    if (!live || live.inboxKeys.has(rowKey)) return;
    live.inboxKeys.add(rowKey);
    live.pending.push({ message, rowKey });
    this.#kick(live);
  }

  /** Loads an instance that has open work (host start-up) and resumes it. */
  async recover(instanceId: string): Promise<void> {
    await this.#ensureLoaded(instanceId);
  }

  async #ensureLoaded(instanceId: string): Promise<LiveInstance | undefined> {
    const live = this.#live.get(instanceId);
    if (live) return live;
    let loading = this.#loading.get(instanceId);
    if (!loading) {
      loading = this.#load(instanceId).finally(() => this.#loading.delete(instanceId));
      this.#loading.set(instanceId, loading);
    }
    return loading;
  }

  async #load(instanceId: string): Promise<LiveInstance | undefined> {
    const loaded = await this.#deps.store.load(instanceId);
    if (!loaded?.meta) return undefined;
    const live = this.#newLive(loaded.meta, loaded.history, loaded.actions);
    for (const item of loaded.inbox) {
      live.inboxKeys.add(item.rowKey);
      live.pending.push({ message: item.message, rowKey: item.rowKey });
    }
    this.#live.set(instanceId, live);
    if (!isTerminal(live.meta.status)) await this.#resumeOpenWork(live);
    this.#kick(live);
    return live;
  }

  #newLive(meta: InstanceMeta, history: HistoryEvent[], actions: RecordedAction[]): LiveInstance {
    for (const event of history) event.IsPlayed = true;
    const completed = new Set<number>();
    for (const event of history) {
      const id = completedTaskId(event);
      if (id !== undefined) completed.add(id);
    }
    return {
      meta,
      history,
      actions,
      retries: RetryTracker.fromHistory(history, actions),
      completed,
      pending: [],
      inboxKeys: new Set(),
      running: false,
      pollingHttp: pollingHttpTasks(history, completed),
    };
  }

  /**
   * After a restart: what the history scheduled and never saw complete runs (again). Entity
   * requests without an answer, and the signals of the last episode (which a crash may have cut
   * off after its checkpoint), are sent again; entities drop requests they already handled.
   */
  async #resumeOpenWork(live: LiveInstance): Promise<void> {
    const answered = new Set(live.history.filter((e) => e.EventType === EventType.EventRaised).map((e) => e.Name as string));
    for (const item of live.pending) if (item.message?.kind === 'entityResponse') answered.add(item.message.requestId);
    const lastEpisode = live.history.map((e) => e.EventType).lastIndexOf(EventType.OrchestratorStarted);
    for (const [index, event] of live.history.entries()) {
      if (live.completed.has(event.EventId)) continue;
      switch (event.EventType) {
        case EventType.TaskScheduled:
          if (event.Name === httpActivityName)
            await this.#startEffect(live, {
              kind: 'http',
              id: event.EventId,
              request: JSON.parse(event.Input as string) as DurableHttpRequestWire,
            });
          else
            await this.#startEffect(live, {
              kind: 'activity',
              id: event.EventId,
              name: event.Name as string,
              input: event.Input as string | undefined,
            });
          break;
        case EventType.TimerCreated:
          await this.#startEffect(live, { kind: 'timer', id: event.EventId, fireAt: event.FireAt as string });
          break;
        case EventType.SubOrchestrationInstanceCreated:
          await this.#startChild(live, {
            kind: 'child',
            id: event.EventId,
            name: event.Name as string,
            childId: event.InstanceId as string,
            input: event.Input as string | undefined,
          });
          break;
        case EventType.EventSent: {
          const request = JSON.parse(event.Input as string) as EntityOperationMessage;
          const unanswered = !request.signal && !answered.has(request.id);
          if (unanswered || (request.signal && index > lastEpisode)) await this.#deps.send(event.InstanceId as string, request);
          break;
        }
        default:
          break;
      }
    }
  }

  /** Queues a completion for the execution that started the work (not one that continued as new since). */
  #post(live: LiveInstance, event: HistoryEvent, executionId = live.meta.executionId): void {
    if (this.#live.get(live.meta.instanceId) !== live || isTerminal(live.meta.status) || live.meta.executionId !== executionId) return;
    live.pending.push({ event });
    this.#kick(live);
  }

  #kick(live: LiveInstance): void {
    if (live.running || this.#stopped || !this.#hasWork(live)) return;
    live.running = true;
    this.#slots
      .run(() => this.#episode(live))
      .then(
        () => {
          live.running = false;
          setImmediate(() => this.#kick(live));
        },
        (err: Error) => {
          this.#deps.logger.host(
            'error',
            `Orchestration '${live.meta.instanceId}': an episode failed and will be retried: ${err.stack ?? err.message}`,
          );
          // The episode may have advanced retry or polling state before its checkpoint failed.
          live.retries = RetryTracker.fromHistory(live.history, live.actions);
          live.pollingHttp = pollingHttpTasks(live.history, live.completed);
          setTimeout(() => {
            live.running = false;
            this.#kick(live);
          }, 1000);
        },
      );
  }

  #hasWork(live: LiveInstance): boolean {
    if (isTerminal(live.meta.status)) return live.pending.length > 0;
    return live.history.length === 0 || this.#take(live).length > 0;
  }

  /** Whether the SDK, seeing this completion, takes sequence numbers for tasks it schedules itself. */
  #isRetryStep(live: LiveInstance, item: PendingItem): boolean {
    const event = item.event;
    if (event) {
      const id = completedTaskId(event);
      if (id === undefined) return false;
      if (live.pollingHttp.has(id)) return pollLocation(event) !== undefined;
      if (!live.retries.get(id)) return false;
      return event.EventType !== EventType.TaskCompleted && event.EventType !== EventType.SubOrchestrationInstanceCompleted;
    }
    return item.message?.kind === 'childDone' && !item.message.ok && live.retries.get(item.message.taskId) !== undefined;
  }

  /**
   * The items the next episode consumes. A retry step (a failed attempt, or the timer before the
   * next one) makes the SDK take a sequence number as soon as it sees it, so it goes first, one per
   * episode, where the engine can predict that number.
   */
  #take(live: LiveInstance): PendingItem[] {
    const pending = live.pending;
    if (pending.length === 0) return [];
    const terminate = pending.find((i) => i.message?.kind === 'terminate');
    if (terminate) return [terminate];
    if (live.meta.status === 'Suspended') {
      // A suspend of a suspended instance is consumed without effect, so that one resume resumes it.
      const control = pending.find((i) => i.message?.kind === 'resume' || i.message?.kind === 'suspend');
      return control ? [control] : [];
    }
    const first = pending[0].message?.kind;
    if (first === 'suspend' || first === 'resume') return [pending[0]];
    const taken: PendingItem[] = [];
    let messages = 0;
    for (const item of pending) {
      const kind = item.message?.kind;
      if (kind === 'suspend' || kind === 'resume') break;
      if (this.#isRetryStep(live, item)) {
        if (taken.length === 0) taken.push(item);
        continue;
      }
      if (item.rowKey !== undefined && ++messages > maxMessagesPerCheckpoint) break;
      taken.push(item);
      if (taken.length >= episodeItemLimit) break;
    }
    return taken;
  }

  async #episode(live: LiveInstance): Promise<void> {
    if (isTerminal(live.meta.status)) {
      await this.#dropPending(live);
      this.#live.delete(live.meta.instanceId);
      return;
    }
    const taken = this.#take(live);
    const fresh = live.history.length === 0;
    if (taken.length === 0 && !fresh) return;
    const now = new Date();
    const consumed = taken.flatMap((i) => (i.rowKey === undefined ? [] : [i.rowKey]));
    const control = taken.length === 1 ? taken[0].message : undefined;
    if (control?.kind === 'terminate' || control?.kind === 'suspend' || control?.kind === 'resume') {
      await this.#applyControl(live, control, consumed, now);
      return;
    }

    const events: HistoryEvent[] = [historyEvent(EventType.OrchestratorStarted, {}, -1, now)];
    if (fresh) {
      events.push(
        historyEvent(
          EventType.ExecutionStarted,
          {
            Name: live.meta.name,
            Version: '',
            Input: live.meta.input,
            OrchestrationInstance: { InstanceId: live.meta.instanceId, ExecutionId: live.meta.executionId },
            ParentInstance: live.meta.parentInstanceId ? { OrchestrationInstance: { InstanceId: live.meta.parentInstanceId } } : undefined,
          },
          -1,
          now,
        ),
      );
    }
    let nextId = live.meta.nextSequence;
    const effects: Effect[] = [];
    const afterCheckpoint: HistoryEvent[] = [];
    const scheduled: HistoryEvent[] = [];
    const newlyCompleted = new Set<number>();
    for (const item of taken) {
      const event = item.event ?? this.#messageEvent(item.message as InstanceMessage, now);
      if (!event) continue;
      const taskId = completedTaskId(event);
      if (taskId !== undefined) {
        if (live.completed.has(taskId) || newlyCompleted.has(taskId)) continue;
        newlyCompleted.add(taskId);
      }
      events.push(event);
      if (taskId === undefined) continue;
      const retry = live.retries.get(taskId);
      const step = this.#isRetryStep(live, item);
      if (retry && step) nextId = this.#advanceRetry(live, retry, event, nextId, now, scheduled, effects, afterCheckpoint);
      else if (retry) live.retries.finish(retry);
      else if (step) nextId = this.#advanceHttpPoll(live, taskId, event, nextId, now, scheduled, effects);
      else live.pollingHttp.delete(taskId);
    }

    const target = this.#deps.functions.orchestrator(live.meta.name);
    const history = [...live.history, ...events, ...scheduled];
    const outcome = target
      ? await invokeOrchestrator(this.#deps.invoker, target, {
          history,
          input: live.meta.input === undefined ? undefined : JSON.parse(live.meta.input),
          instanceId: live.meta.instanceId,
          isReplaying: live.history.length > 0,
          parentInstanceId: live.meta.parentInstanceId,
          upperSchemaVersion: replaySchemaVersion,
          upperSchemaVersionNew: replaySchemaVersion,
          maximumShortTimerDuration: '3650.00:00:00',
          longRunningTimerIntervalDuration: '3.00:00:00',
          defaultHttpAsyncRequestSleepTimeMillseconds: defaultHttpPollMs,
        })
      : { reply: { isDone: false, actions: [] }, failure: { message: missingFunction('an orchestrator', live.meta.name).message } };
    const plan = planActions({ instanceId: live.meta.instanceId, actions: outcome.reply.actions, recorded: live.actions, nextId, now });

    const meta: InstanceMeta = { ...live.meta, lastUpdatedTime: now.toISOString(), status: 'Running', chunks: live.meta.chunks + 1 };
    if (outcome.reply.customStatus !== undefined) meta.customStatus = JSON.stringify(outcome.reply.customStatus);
    let newActions: RecordedAction[] = [];
    const failure = plan.nonDeterminism
      ? { message: plan.nonDeterminism, stack: undefined }
      : outcome.failure && {
          message: `Orchestrator function '${live.meta.name}' failed: ${outcome.failure.message}`,
          stack: outcome.failure.stack,
        };
    events.push(...scheduled);
    if (failure) {
      // The output is the message, as the extension shows it; the stack stays in the history's Details.
      events.push(
        historyEvent(
          EventType.ExecutionCompleted,
          { OrchestrationStatus: 'Failed', Result: failure.message, ...failureFields(failure) },
          -1,
          now,
        ),
      );
      meta.status = 'Failed';
      meta.output = JSON.stringify(failure.message);
      effects.length = 0;
      afterCheckpoint.length = 0;
    } else {
      events.push(...plan.events);
      newActions = plan.recorded;
      meta.nextSequence = plan.nextId;
      effects.push(...plan.effects);
      if (plan.continueAsNew && outcome.reply.isDone) {
        const carried = unconsumedEvents([...live.history, ...events], outcome.reply.actions).map((message) => ({
          rowKey: inboxRowKey(),
          message,
        }));
        await this.#continueAsNew(live, meta, plan.continueAsNew.input, consumed, taken, effects, carried);
        return;
      }
      if (outcome.reply.isDone) {
        const result = outcome.reply.output === undefined ? 'null' : JSON.stringify(outcome.reply.output);
        events.push(historyEvent(EventType.ExecutionCompleted, { OrchestrationStatus: 'Completed', Result: result }, -1, now));
        meta.status = 'Completed';
        meta.output = result;
      }
    }
    events.push(historyEvent(EventType.OrchestratorCompleted, {}, -1, now));

    await this.#deps.store.checkpoint({ meta, newEvents: events, newActions, consumed });
    this.#committed(live, taken);
    for (const event of events) event.IsPlayed = true;
    live.history.push(...events);
    live.actions.push(...newActions);
    for (const id of newlyCompleted) live.completed.add(id);
    if (meta.status !== live.meta.status) await this.#deps.store.writeIndex(meta);
    live.meta = meta;

    if (isTerminal(meta.status)) {
      // Messages of the last episode still go out (signals, lock releases); nothing else starts.
      for (const effect of effects) if (effect.kind === 'send') await this.#startAfterCheckpoint(live, effect);
      await this.#finished(live);
      return;
    }
    for (const effect of effects) {
      if ((effect.kind === 'activity' || effect.kind === 'child') && effect.retry) {
        live.retries.start({
          originId: effect.id,
          options: effect.retry,
          kind: effect.kind,
          name: effect.name,
          input: effect.input,
          childId: effect.kind === 'child' ? effect.childId : undefined,
          failedAttempts: 0,
          firstAttemptAt: now.getTime(),
          currentId: effect.id,
          waitingOnTimer: false,
        });
      }
      await this.#startAfterCheckpoint(live, effect);
    }
    for (const event of afterCheckpoint) this.#post(live, event);
  }

  /**
   * Starts work a checkpoint committed. Its episode cannot be re-run, so a storage fault here is
   * retried a few times; past that the work starts again at the host's next start, from history.
   */
  async #startAfterCheckpoint(live: LiveInstance, effect: Effect): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#startEffect(live, effect);
        return;
      } catch (err) {
        const message = `Orchestration '${live.meta.instanceId}': starting ${effect.kind} ${'id' in effect ? effect.id : ''} failed (attempt ${attempt}): ${(err as Error).message}`;
        if (attempt >= 5) {
          this.#deps.logger.host('error', `${message}; it starts again when the host restarts.`);
          return;
        }
        this.#deps.logger.host('warning', message);
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
      }
    }
  }

  /** A message from the inbox as the history event the SDK expects for it. */
  #messageEvent(message: InstanceMessage, now: Date): HistoryEvent | undefined {
    switch (message.kind) {
      case 'event':
        return historyEvent(EventType.EventRaised, { Name: message.name, Input: message.input }, -1, now);
      case 'entityResponse':
        return historyEvent(EventType.EventRaised, { Name: message.requestId, Input: JSON.stringify(message.response) }, -1, now);
      case 'childDone':
        return message.ok
          ? historyEvent(
              EventType.SubOrchestrationInstanceCompleted,
              { TaskScheduledId: message.taskId, Result: message.result ?? 'null' },
              -1,
              now,
            )
          : historyEvent(
              EventType.SubOrchestrationInstanceFailed,
              {
                TaskScheduledId: message.taskId,
                ...failureFields({ message: message.reason ?? 'The sub-orchestration failed.', stack: message.details }),
              },
              -1,
              now,
            );
      default:
        return undefined;
    }
  }

  /**
   * A 202 with a Location header: the SDK's polling task waits for a timer (Retry-After, or the
   * default sleep) and then a new request, under the next two sequence numbers; the new request
   * GETs the Location, as the async HTTP pattern expects.
   */
  #advanceHttpPoll(
    live: LiveInstance,
    taskId: number,
    event: HistoryEvent,
    nextId: number,
    now: Date,
    scheduled: HistoryEvent[],
    effects: Effect[],
  ): number {
    const location = pollLocation(event) as { uri: string; retryAfterMs?: number };
    const original = live.pollingHttp.get(taskId) as DurableHttpRequestWire;
    live.pollingHttp.delete(taskId);
    const timerId = nextId++;
    const requestId = nextId++;
    const fireAt = new Date(now.getTime() + (location.retryAfterMs ?? defaultHttpPollMs)).toISOString();
    const request: DurableHttpRequestWire = { ...original, method: 'GET', uri: location.uri, content: undefined };
    scheduled.push(historyEvent(EventType.TimerCreated, { FireAt: fireAt }, timerId, now));
    scheduled.push(
      historyEvent(EventType.TaskScheduled, { Name: httpActivityName, Version: '', Input: JSON.stringify(request) }, requestId, now),
    );
    live.pollingHttp.set(requestId, request);
    effects.push({ kind: 'timer', id: timerId, fireAt }, { kind: 'http', id: requestId, request, notBefore: fireAt });
    return nextId;
  }

  /**
   * A failed attempt gets a retry timer (fired at once when no attempt is left, which is what the
   * SDK waits for before it fails the task); the timer gets the next attempt.
   */
  #advanceRetry(
    live: LiveInstance,
    retry: RetryState,
    event: HistoryEvent,
    nextId: number,
    now: Date,
    scheduled: HistoryEvent[],
    effects: Effect[],
    afterCheckpoint: HistoryEvent[],
  ): number {
    if (event.EventType !== EventType.TimerFired) {
      retry.failedAttempts++;
      retry.lastFailure = event;
      const delay = nextAttemptDelayMs(retry.options, retry.failedAttempts, retry.firstAttemptAt, now.getTime());
      retry.exhausted = delay === undefined;
      const timerId = nextId++;
      const fireAt = new Date(now.getTime() + (delay ?? 0)).toISOString();
      scheduled.push(historyEvent(EventType.TimerCreated, { FireAt: fireAt, RetryOf: retry.originId }, timerId, now));
      live.retries.moveTo(retry, timerId, true);
      effects.push({ kind: 'timer', id: timerId, fireAt });
      return nextId;
    }
    if (retry.failedAttempts >= retry.options.maxNumberOfAttempts) {
      live.retries.finish(retry);
      return nextId;
    }
    const attemptId = nextId++;
    live.retries.moveTo(retry, attemptId, false);
    if (retry.kind === 'activity') {
      scheduled.push(
        historyEvent(
          EventType.TaskScheduled,
          { Name: retry.name, Version: '', Input: retry.input, RetryOf: retry.originId },
          attemptId,
          now,
        ),
      );
    } else {
      scheduled.push(
        historyEvent(
          EventType.SubOrchestrationInstanceCreated,
          { Name: retry.name, Version: '', InstanceId: retry.childId, Input: retry.input, RetryOf: retry.originId },
          attemptId,
          now,
        ),
      );
    }
    if (retry.exhausted) {
      // The retry timeout has passed: the SDK still counts attempts, so each remaining one fails at once.
      const failed = { ...(retry.lastFailure as HistoryEvent), TaskScheduledId: attemptId, Timestamp: now.toISOString(), IsPlayed: false };
      afterCheckpoint.push(failed);
    } else if (retry.kind === 'activity') {
      effects.push({ kind: 'activity', id: attemptId, name: retry.name, input: retry.input });
    } else {
      effects.push({
        kind: 'child',
        id: attemptId,
        name: retry.name,
        childId: retry.childId ?? `${live.meta.instanceId}:${attemptId}`,
        input: retry.input,
      });
    }
    return nextId;
  }

  async #applyControl(live: LiveInstance, message: InstanceMessage, consumed: string[], now: Date): Promise<void> {
    const meta: InstanceMeta = { ...live.meta, lastUpdatedTime: now.toISOString() };
    let event: HistoryEvent | undefined;
    if (message.kind === 'terminate') {
      const reason = JSON.stringify(message.reason ?? '');
      event = historyEvent(EventType.ExecutionTerminated, { Input: reason }, -1, now);
      meta.status = 'Terminated';
      meta.output = reason;
    } else if (message.kind === 'suspend' && live.meta.status !== 'Suspended') {
      event = historyEvent(EventType.ExecutionSuspended, { Reason: message.reason ?? '' }, -1, now);
      meta.status = 'Suspended';
    } else if (message.kind === 'resume' && live.meta.status === 'Suspended') {
      event = historyEvent(EventType.ExecutionResumed, { Reason: message.reason ?? '' }, -1, now);
      meta.status = 'Running';
    }
    if (event) meta.chunks++;
    await this.#deps.store.checkpoint({ meta, newEvents: event ? [event] : [], newActions: [], consumed });
    this.#committed(
      live,
      live.pending.filter((i) => i.message === message),
    );
    if (event) {
      event.IsPlayed = true;
      live.history.push(event);
    }
    if (meta.status !== live.meta.status) await this.#deps.store.writeIndex(meta);
    live.meta = meta;
    if (isTerminal(meta.status)) await this.#finished(live);
  }

  async #continueAsNew(
    live: LiveInstance,
    meta: InstanceMeta,
    input: string | undefined,
    consumed: string[],
    taken: PendingItem[],
    effects: Effect[],
    carried: InboxItem[],
  ): Promise<void> {
    const next: InstanceMeta = {
      ...meta,
      input,
      output: undefined,
      generation: live.meta.generation + 1,
      chunks: 0,
      nextSequence: 0,
      executionId: randomUUID().replace(/-/g, ''),
    };
    await this.#deps.store.checkpoint({ meta: next, newEvents: [], newActions: [], consumed, carried });
    this.#committed(live, taken);
    // Messages not yet consumed carry over to the new execution; completions of the old one do not.
    live.pending = [
      ...carried.map((c) => ({ message: c.message, rowKey: c.rowKey })),
      ...live.pending.filter((i) => i.message !== undefined),
    ];
    for (const c of carried) live.inboxKeys.add(c.rowKey);
    live.history = [];
    live.actions = [];
    live.completed.clear();
    live.retries.clear();
    live.pollingHttp.clear();
    if (next.status !== live.meta.status) await this.#deps.store.writeIndex(next);
    live.meta = next;
    for (const effect of effects) if (effect.kind === 'send') await this.#startAfterCheckpoint(live, effect);
    void this.#deps.store
      .deleteOldGenerations(next.instanceId, next.generation)
      .catch((err: Error) => this.#deps.logger.host('warning', `Could not delete old history of '${next.instanceId}': ${err.message}`));
  }

  #committed(live: LiveInstance, taken: PendingItem[]): void {
    const done = new Set(taken);
    live.pending = live.pending.filter((i) => !done.has(i));
    for (const item of taken) if (item.rowKey !== undefined) live.inboxKeys.delete(item.rowKey);
  }

  async #finished(live: LiveInstance): Promise<void> {
    const { meta } = live;
    this.#deps.logger.host('information', `Orchestration '${meta.name}' (${meta.instanceId}) ${meta.status.toLowerCase()}.`);
    // An instance that ends inside a critical section (failed, terminated) releases its locks.
    const held = heldLocks(live.history);
    for (const [k, entity] of held.entries()) {
      await this.#deps.send(entity, {
        kind: 'entityOperation',
        id: `${meta.executionId}:release:${k}`,
        op: releaseOperation,
        signal: true,
        parent: meta.instanceId,
      });
    }
    if (meta.parentInstanceId !== undefined && meta.parentTaskId !== undefined) {
      const ok = meta.status === 'Completed';
      const reason = meta.output === undefined ? meta.status : (JSON.parse(meta.output) as unknown);
      await this.#deps.send(meta.parentInstanceId, {
        kind: 'childDone',
        taskId: meta.parentTaskId,
        childId: meta.instanceId,
        ok,
        result: ok ? meta.output : undefined,
        reason: ok ? undefined : `Sub-orchestration '${meta.name}' (${meta.instanceId}) ${meta.status.toLowerCase()}: ${String(reason)}`,
      });
    }
    await this.#dropPending(live);
    this.#live.delete(meta.instanceId);
  }

  /** Messages to a finished instance are consumed without effect (the API answers 410 to new ones). */
  async #dropPending(live: LiveInstance): Promise<void> {
    const rowKeys = live.pending.flatMap((i) => (i.rowKey === undefined ? [] : [i.rowKey]));
    live.pending = [];
    if (rowKeys.length > 0) await this.#deps.store.deleteMessages(live.meta.instanceId, rowKeys);
  }

  async #startEffect(live: LiveInstance, effect: Effect): Promise<void> {
    const execution = live.meta.executionId;
    const post = (event: HistoryEvent): void => this.#post(live, event, execution);
    switch (effect.kind) {
      case 'activity': {
        const target = this.#deps.functions.activity(effect.name);
        if (!target) {
          post(
            historyEvent(EventType.TaskFailed, {
              TaskScheduledId: effect.id,
              ...failureFields(missingFunction('an activity', effect.name)),
            }),
          );
          return;
        }
        this.#deps.activities.run(target, effect.input).then(
          (outcome) =>
            post(
              outcome.ok
                ? historyEvent(EventType.TaskCompleted, { TaskScheduledId: effect.id, Result: outcome.result })
                : historyEvent(EventType.TaskFailed, { TaskScheduledId: effect.id, ...failureFields(outcome.error) }),
            ),
          (err: Error) => post(historyEvent(EventType.TaskFailed, { TaskScheduledId: effect.id, ...failureFields(err) })),
        );
        return;
      }
      case 'timer':
        this.#deps.timers.at(new Date(effect.fireAt), () =>
          post(historyEvent(EventType.TimerFired, { TimerId: effect.id, FireAt: effect.fireAt })),
        );
        return;
      case 'child':
        await this.#startChild(live, effect);
        return;
      case 'http': {
        if (effect.request.asynchronousPatternEnabled !== false) live.pollingHttp.set(effect.id, effect.request);
        const send = (): void => {
          sendDurableHttpRequest(effect.request).then(
            (result) => post(historyEvent(EventType.TaskCompleted, { TaskScheduledId: effect.id, Result: result })),
            (err: Error) => post(historyEvent(EventType.TaskFailed, { TaskScheduledId: effect.id, ...failureFields(err) })),
          );
        };
        if (effect.notBefore) this.#deps.timers.at(new Date(effect.notBefore), send);
        else send();
        return;
      }
      case 'send':
        await this.#deps.send(effect.target, effect.message);
        return;
    }
  }

  async #startChild(live: LiveInstance, effect: Extract<Effect, { kind: 'child' }>): Promise<void> {
    const fail = (error: Error): void =>
      this.#post(live, historyEvent(EventType.SubOrchestrationInstanceFailed, { TaskScheduledId: effect.id, ...failureFields(error) }));
    if (!this.#deps.functions.orchestrator(effect.name)) {
      fail(missingFunction('an orchestrator', effect.name));
      return;
    }
    const parent = { id: live.meta.instanceId, taskId: effect.id };
    const meta = newInstanceMeta(effect.childId, effect.name, effect.input, parent);
    if (await this.#deps.store.tryCreate(meta)) {
      this.adopt(meta);
      return;
    }
    const existing = this.#live.get(effect.childId)?.meta ?? (await this.#deps.store.readMeta(effect.childId));
    if (existing && existing.parentInstanceId === parent.id && existing.parentTaskId === parent.taskId) {
      // Started before a restart: resume it, or report its end if the notice was lost.
      if (!isTerminal(existing.status)) await this.recover(effect.childId);
      else
        this.#post(
          live,
          existing.status === 'Completed'
            ? historyEvent(EventType.SubOrchestrationInstanceCompleted, { TaskScheduledId: effect.id, Result: existing.output ?? 'null' })
            : historyEvent(EventType.SubOrchestrationInstanceFailed, {
                TaskScheduledId: effect.id,
                ...failureFields({
                  message: `Sub-orchestration '${existing.name}' (${existing.instanceId}) ${existing.status.toLowerCase()}.`,
                }),
              }),
        );
      return;
    }
    if (existing && !isTerminal(existing.status)) {
      fail(new Error(`An orchestration with instance ID '${effect.childId}' already exists and is ${existing.status.toLowerCase()}.`));
      return;
    }
    await this.#deps.store.purge(effect.childId);
    if (await this.#deps.store.tryCreate(meta)) this.adopt(meta);
    else fail(new Error(`Could not create the sub-orchestration instance '${effect.childId}'.`));
  }
}
