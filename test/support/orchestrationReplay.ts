/**
 * Host-less replay of an orchestrator through the real `durable-functions` v3 replay machinery:
 * no Functions host, no task hub, no storage. Each episode hands the SDK's orchestrator handler
 * (the one `df.app.orchestration` registers) a `DurableOrchestrationBindingInfo` with the history
 * so far, checks that the actions it returns replay the recorded ones (else the instance fails
 * with `Non-deterministic workflow detected: …`, as in Azure), turns the new ones into history
 * events, delivers ONE completion, and replays again until the orchestrator returns or fails.
 *
 *   const result = await replay(trainingPipeline, {
 *     input, instanceId: 'p-1', startAt: new Date('2026-01-01T00:00:00Z'),
 *     activities: { pipeline_checkInputData: (input, call) => ({ ok: true, blobs: 20 }) }, // throw to fail the task
 *     subOrchestrators: { provisionCluster },   // a generator function is replayed as the child; a plain function answers it
 *     events: [{ name: 'cancel', afterActivity: 'cluster_getState' }],
 *   });
 *   expect(result.status).toBe('completed');
 *   expect(result.calls.map((c) => c.name)).toContain('cluster_beginDelete');
 *
 * One step at a time, over the root and its live children: an external event that is due (raised
 * by a responder, or a trigger whose condition holds), else the oldest pending work (an activity
 * call, a child to start, a child's result; activities take no virtual time), else the earliest
 * timer (the one virtual clock jumps to its fireAt). `callActivityWithRetry` and
 * `callSubOrchestratorWithRetry` play their RetryOptions as the extension does: a thrown error is a
 * TaskFailed, then a back-off timer, then the next attempt, up to `maxNumberOfAttempts`.
 * See test/unit/orchestrationReplay.test.ts for examples.
 */
import * as df from 'durable-functions';
import { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import { EventType, failureFields, HistoryEvent, historyEvent } from '../../devhost/durable/historyEvents';
import { nextAttemptDelayMs } from '../../devhost/durable/retryPolicy';
import { ActionType, flattenActions, inputJson, OrchestratorReply, RetryOptionsWire, SdkAction } from '../../devhost/durable/sdkActions';
import { Json } from './json';

/** The wrapper `df.app.orchestration` registers with the host, from the SDK (it is not in its typings). */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- no typings to import it with
const sdkTesting = require('durable-functions/lib/src/util/testingUtils') as {
  createOrchestrator(fn: OrchestrationHandler): (trigger: unknown, context: df.DummyOrchestrationContext) => Promise<unknown>;
};

/** Out-of-process replay schema V4, as the devhost and current Azure extensions speak it. */
const replaySchema = 3;
/** The SDK's marker between an orchestrator's error message and its state, in the error it throws. */
const outOfProcDataLabel = '\n\n$OutOfProcData$:';
const defaultInstanceId = 'instance-1';

export interface ActivityCall {
  name: string;
  /** The input as the activity receives it (through JSON). */
  input: Json;
  /** 1 for a task's first attempt, 2 for its first retry, … */
  attempt: number;
  /** How many times this instance has called this activity, this call included. */
  nth: number;
  instanceId: string;
  /** The virtual clock when the call ran (ISO). */
  at: string;
}

export interface CallRecord extends ActivityCall {
  ok: boolean;
  result?: unknown;
  error?: string;
}

export interface ResponderCall extends ActivityCall {
  /**
   * Raises an external event on an instance of this replay, delivered before its next completion
   * (what an activity that forwards a cancel to a child does); an instance that has ended ignores it.
   */
  raiseEvent(instanceId: string, name: string, input?: unknown): void;
}

/** Answers an activity (or a table-answered sub-orchestration): return its result, or throw to fail the task. */
export type Responder = (input: Json, call: ResponderCall) => unknown;

export interface ReplayState {
  instanceId: string;
  /** Episodes this instance has run so far. */
  episode: number;
  now: Date;
  /** This instance's activities scheduled and not yet run. */
  pendingActivities: string[];
  /** This instance's children scheduled or running. */
  pendingChildren: string[];
  pendingTimers: number;
  /** External events the orchestrator has asked for and not yet received. */
  waitingFor: string[];
  /** Every activity call of the replay so far (all instances). */
  calls: CallRecord[];
  customStatus: unknown;
}

/** An external event to raise once, at a chosen point (checked before every step). */
export type EventTrigger = {
  name: string;
  input?: unknown;
  /** The instance to raise it on; the root instance by default. */
  instanceId?: string;
} & (
  | { when: (state: ReplayState) => boolean }
  /** Once the activity has completed (or failed) `nth` times (1 by default), in any instance. */
  | { afterActivity: string; nth?: number }
);

export interface ReplayOptions {
  input?: unknown;
  instanceId?: string;
  /** The orchestrator's name in history and messages; the function's name by default. */
  name?: string;
  /** The virtual clock at the first episode; 2026-01-01T00:00:00Z by default. */
  startAt?: Date;
  /** Per activity name; an activity without a responder rejects the replay (a test bug, not an orchestration failure). */
  activities?: Record<string, Responder>;
  /** Per sub-orchestration name: a generator function is replayed as the child; any other function answers like an activity. */
  subOrchestrators?: Record<string, OrchestrationHandler | Responder>;
  events?: EventTrigger[];
  /** `hold`: the orchestrators' own timers never fire (retry back-off timers still do). */
  timers?: 'fire-immediately' | 'hold';
  /** Per instance; past it the replay rejects (an orchestrator that never ends). 500 by default. */
  maxEpisodes?: number;
  /** Where the orchestrators' `context.log` goes; dropped by default. */
  log?: (level: string, ...args: unknown[]) => void;
}

export interface TimerRecord {
  instanceId: string;
  id: number;
  createdAt: string;
  fireAt: string;
  /** A RetryOptions back-off timer the SDK asked for, not one the orchestrator created. */
  retry: boolean;
  fired: boolean;
  cancelled: boolean;
}

export interface RaisedEvent {
  instanceId: string;
  name: string;
  input?: unknown;
  at: string;
}

export interface ReplayResult<TOutput = unknown> {
  instanceId: string;
  /** `waiting`: not finished, and nothing left to deliver (an event it waits for was never raised, or timers are held). */
  status: 'completed' | 'failed' | 'waiting';
  output?: TOutput;
  error?: { message: string; stack?: string };
  /** The custom status after each episode that changed it, in order (the host too only sees it per episode). */
  customStatuses: unknown[];
  customStatus?: unknown;
  /** Activity calls, timers and events of this instance; for the root, of the whole replay, in order. */
  calls: CallRecord[];
  timers: TimerRecord[];
  events: RaisedEvent[];
  waitingFor: string[];
  episodes: number;
  continuedAsNew: number;
  /** The virtual clock when the instance ended (or the replay stopped). */
  endedAt: Date;
  history: HistoryEvent[];
  /** For the root: the last result of each replayed child, by instance id. */
  children: Record<string, ReplayResult>;
}

/** What the root and its children share: the options, the clock, the records, the live instances. */
interface Session {
  options: ReplayOptions;
  rootId: string;
  now: Date;
  /** Orders pending work across instances. */
  seq: number;
  live: ReplayedInstance[];
  ended: Set<string>;
  /** Events responders raised, per instance, not yet delivered. */
  mailbox: Map<string, { name: string; input?: unknown }[]>;
  raised: Set<EventTrigger>;
  /** Completions (and failures) per activity name, for `afterActivity` triggers. */
  completions: Map<string, number>;
  calls: CallRecord[];
  timers: TimerRecord[];
  events: RaisedEvent[];
  children: Record<string, ReplayResult>;
}

interface RetryChain {
  options: RetryOptionsWire;
  failedAttempts: number;
  firstAttemptAt: number;
  /** The retry timeout has passed: the SDK still counts attempts, so each remaining one fails without running. */
  exhausted: boolean;
  lastError?: Error;
}

type Work =
  | { kind: 'activity'; id: number; name: string; input?: string; attempt: number; retry?: RetryChain }
  | { kind: 'child'; id: number; name: string; childId: string; input?: string; attempt: number; retry?: RetryChain };

type Outcome = { ok: true; result: unknown } | { ok: false; error: Error };

/** Work to start (no outcome yet), or the outcome of a child, waiting for its turn. */
interface Queued {
  seq: number;
  work: Work;
  outcome?: Outcome;
}

interface PendingTimer {
  id: number;
  seq: number;
  fireAt: Date;
  record: TimerRecord;
  /** For a back-off timer: the task it retries. */
  retryOf?: Work;
}

interface RecordedAction {
  type: ActionType;
  name: string;
  id?: number;
}

interface Episode {
  reply: OrchestratorReply;
  failure?: { message: string; stack?: string };
  /** The sequence numbers the SDK used, read from its executor to check the driver's numbering. */
  sdkSequence?: number;
}

type SdkContext = { df?: { taskOrchestratorExecutor?: { exception?: unknown; sequenceNumber?: number } } };

const describeAction = (a: SdkAction): string => {
  const type = ActionType[a.actionType] ?? `action type ${a.actionType}`;
  if (a.functionName !== undefined) return `${type} '${a.functionName}'`;
  if (a.externalEventName !== undefined) return `${type} '${a.externalEventName}'`;
  return type;
};

const parseJson = (text: string | undefined): unknown => (text === undefined ? undefined : JSON.parse(text));

/** A result as it arrives through the host: JSON, with `undefined` as null. */
const viaJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value ?? null));

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

const isGeneratorFunction = (fn: unknown): fn is OrchestrationHandler =>
  typeof fn === 'function' && fn.constructor?.name === 'GeneratorFunction';

const bump = (counts: Map<string, number>, key: string): number => {
  const n = (counts.get(key) ?? 0) + 1;
  counts.set(key, n);
  return n;
};

/** Replays `orchestrator` to its end (or until nothing is left to deliver); see the file comment. */
export async function replay<TOutput>(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the SDK passes task results back as `any`
  orchestrator: (context: OrchestrationContext) => Generator<Task, TOutput, any>,
  options: ReplayOptions = {},
): Promise<ReplayResult<TOutput>> {
  const rootId = options.instanceId ?? defaultInstanceId;
  const session: Session = {
    options,
    rootId,
    now: new Date((options.startAt ?? new Date('2026-01-01T00:00:00Z')).getTime()),
    seq: 0,
    live: [],
    ended: new Set(),
    mailbox: new Map(),
    raised: new Set(),
    completions: new Map(),
    calls: [],
    timers: [],
    events: [],
    children: {},
  };
  const root = new ReplayedInstance(session, orchestrator as OrchestrationHandler, {
    instanceId: rootId,
    name: options.name ?? (orchestrator.name || 'orchestrator'),
    input: options.input,
  });
  await root.start();
  while (!root.result && (await step(session)));
  if (!root.result) for (const instance of [...session.live].reverse()) instance.stall();
  return root.result as unknown as ReplayResult<TOutput>;
}

/** Delivers one thing to one live instance; false when nothing is left to deliver. */
async function step(session: Session): Promise<boolean> {
  for (const instance of session.live) if (await instance.deliverDueEvent()) return true;
  const oldest = session.live
    .flatMap((instance) => instance.queued.map((queued) => ({ instance, queued })))
    .sort((a, b) => a.queued.seq - b.queued.seq)[0];
  if (oldest) {
    await oldest.instance.perform(oldest.queued);
    return true;
  }
  const hold = session.options.timers === 'hold';
  const next = session.live
    .flatMap((instance) => instance.timers.filter((t) => t.retryOf || !hold).map((timer) => ({ instance, timer })))
    .sort((a, b) => a.timer.fireAt.getTime() - b.timer.fireAt.getTime() || a.timer.seq - b.timer.seq)[0];
  if (!next) return false;
  if (next.timer.fireAt > session.now) session.now = new Date(next.timer.fireAt.getTime());
  await next.instance.fire(next.timer);
  return true;
}

/** One orchestration instance: its history, the actions it recorded, the work it waits for. */
class ReplayedInstance {
  readonly instanceId: string;
  queued: Queued[] = [];
  timers: PendingTimer[] = [];
  result?: ReplayResult;
  readonly #session: Session;
  readonly #handler: ReturnType<typeof sdkTesting.createOrchestrator>;
  readonly #name: string;
  readonly #parent?: { instance: ReplayedInstance; work: Work };
  #input: unknown;
  #history: HistoryEvent[] = [];
  #recorded: RecordedAction[] = [];
  #nextId = 0;
  #runningChildren = new Map<string, string>();
  #episodes = 0;
  #continuedAsNew = 0;
  #customStatuses: unknown[] = [];
  #customStatus: unknown;
  #waitingFor = new Set<string>();
  #eventsReceived = new Set<string>();
  #called = new Map<string, number>();

  constructor(
    session: Session,
    fn: OrchestrationHandler,
    init: { instanceId: string; name: string; input: unknown; parent?: { instance: ReplayedInstance; work: Work } },
  ) {
    this.#session = session;
    this.#handler = sdkTesting.createOrchestrator(fn);
    this.instanceId = init.instanceId;
    this.#name = init.name;
    this.#input = init.input;
    this.#parent = init.parent;
  }

  get #now(): Date {
    return this.#session.now;
  }

  async start(): Promise<void> {
    this.#session.live.push(this);
    await this.#episode(this.#startEvents());
  }

  /** An event a responder raised on this instance, or a trigger for it whose moment has come. */
  async deliverDueEvent(): Promise<boolean> {
    const mailed = this.#session.mailbox.get(this.instanceId)?.shift();
    const trigger = mailed ? undefined : (this.#session.options.events ?? []).find((t) => !this.#session.raised.has(t) && this.#isDue(t));
    const event = mailed ?? trigger;
    if (!event) return false;
    if (trigger) this.#session.raised.add(trigger);
    this.#session.events.push({ instanceId: this.instanceId, name: event.name, input: event.input, at: this.#now.toISOString() });
    this.#waitingFor.delete(event.name);
    this.#eventsReceived.add(event.name);
    await this.#episode([historyEvent(EventType.EventRaised, { Name: event.name, Input: inputJson(event.input) }, -1, this.#now)]);
    return true;
  }

  /** Runs an activity's responder, starts or answers a child, or hands this instance a child's outcome. */
  async perform(queued: Queued): Promise<void> {
    this.queued = this.queued.filter((q) => q !== queued);
    const { work } = queued;
    if (queued.outcome) return this.#episode(this.#completion(work, queued.outcome));
    if (work.retry?.exhausted) return this.#episode(this.#completion(work, { ok: false, error: work.retry.lastError as Error }));
    if (work.kind === 'activity') return this.#episode(this.#completion(work, await this.#callActivity(work)));
    const target = this.#session.options.subOrchestrators?.[work.name];
    if (!target) throw new Error(`replay: no entry in subOrchestrators for '${work.name}' (called by ${this.instanceId})`);
    if (!isGeneratorFunction(target)) return this.#episode(this.#completion(work, await this.#answerChild(work, target)));
    this.#session.ended.delete(work.childId);
    const child = new ReplayedInstance(this.#session, target, {
      instanceId: work.childId,
      name: work.name,
      input: parseJson(work.input),
      parent: { instance: this, work },
    });
    await child.start();
  }

  async fire(timer: PendingTimer): Promise<void> {
    this.timers = this.timers.filter((t) => t !== timer);
    timer.record.fired = true;
    const fired = historyEvent(EventType.TimerFired, { TimerId: timer.id, FireAt: timer.record.fireAt }, -1, this.#now);
    await this.#episode(timer.retryOf ? [fired, ...this.#nextAttempt(timer.retryOf)] : [fired]);
  }

  /** Nothing can move the replay on: this instance ends as waiting. */
  stall(): void {
    this.#end('waiting');
  }

  #startEvents(): HistoryEvent[] {
    const parent = this.#parent?.instance.instanceId;
    return [
      historyEvent(
        EventType.ExecutionStarted,
        {
          Name: this.#name,
          Version: '',
          Input: inputJson(this.#input),
          OrchestrationInstance: { InstanceId: this.instanceId, ExecutionId: `${this.instanceId}-${this.#continuedAsNew}` },
          ParentInstance: parent ? { OrchestrationInstance: { InstanceId: parent } } : undefined,
        },
        -1,
        this.#now,
      ),
    ];
  }

  /** One episode: replay over history + `delivered`, check and apply the actions, end the instance if it is done. */
  async #episode(delivered: HistoryEvent[]): Promise<void> {
    const maxEpisodes = this.#session.options.maxEpisodes ?? 500;
    if (this.#episodes >= maxEpisodes) throw this.#tooManyEpisodes(maxEpisodes);
    this.#episodes++;
    const events = [historyEvent(EventType.OrchestratorStarted, {}, -1, this.#now), ...delivered];
    const outcome = await this.#invoke([...this.#history, ...events]);
    this.#history.push(...events);
    const customStatus = outcome.reply.customStatus;
    if (customStatus !== undefined && JSON.stringify(customStatus) !== JSON.stringify(this.#customStatus)) {
      this.#customStatus = customStatus;
      this.#customStatuses.push(customStatus);
    }
    const failure = outcome.failure ?? this.#applyActions(outcome);
    if (failure) {
      this.#close({ OrchestrationStatus: 'Failed', Result: failure.message, ...failureFields(failure) });
      return this.#end('failed', undefined, failure);
    }
    if (!outcome.reply.isDone) {
      this.#history.push(historyEvent(EventType.OrchestratorCompleted, {}, -1, this.#now));
      return;
    }
    const continueAsNew = flattenActions(outcome.reply.actions).find((a) => a.actionType === ActionType.ContinueAsNew);
    if (continueAsNew) {
      this.#restart(parseJson(inputJson(continueAsNew.input)));
      return this.#episode(this.#startEvents());
    }
    this.#close({ OrchestrationStatus: 'Completed', Result: JSON.stringify(outcome.reply.output ?? null) });
    this.#end('completed', outcome.reply.output);
  }

  #close(fields: Record<string, unknown>): void {
    this.#history.push(
      historyEvent(EventType.ExecutionCompleted, fields, -1, this.#now),
      historyEvent(EventType.OrchestratorCompleted, {}, -1, this.#now),
    );
  }

  /** A new execution of the same instance: what the old one scheduled is dropped, as the extension does. */
  #restart(input: unknown): void {
    this.#continuedAsNew++;
    this.#input = input;
    this.#history = [];
    this.#recorded = [];
    this.#nextId = 0;
    this.queued = [];
    for (const timer of this.timers) timer.record.cancelled = true;
    this.timers = [];
    this.#waitingFor.clear();
    this.#eventsReceived.clear();
  }

  /** Calls the SDK's handler the way the host does: JSON in (the SDK mutates what it gets), JSON out. */
  async #invoke(history: HistoryEvent[]): Promise<Episode> {
    const trigger = JSON.parse(
      JSON.stringify({
        history: history.map((e, i) => ({ ...e, IsPlayed: i < this.#history.length })),
        input: this.#input,
        instanceId: this.instanceId,
        isReplaying: this.#history.length > 0,
        parentInstanceId: this.#parent?.instance.instanceId,
        upperSchemaVersion: replaySchema,
        upperSchemaVersionNew: replaySchema,
        // As in the devhost: no timer is split into the SDK's long-timer chain (Azure splits those over 6 days).
        maximumShortTimerDuration: '3650.00:00:00',
        longRunningTimerIntervalDuration: '3.00:00:00',
        defaultHttpAsyncRequestSleepTimeMillseconds: 30_000,
      }),
    ) as unknown;
    const log = this.#session.options.log ?? ((): void => undefined);
    const context = new df.DummyOrchestrationContext(this.#name, `${this.instanceId}-${this.#episodes}`, log);
    const executor = (): { exception?: unknown; sequenceNumber?: number } | undefined =>
      (context as unknown as SdkContext).df?.taskOrchestratorExecutor;
    try {
      const reply = JSON.parse(JSON.stringify(await this.#handler(trigger, context))) as OrchestratorReply;
      return { reply, sdkSequence: executor()?.sequenceNumber };
    } catch (err) {
      const text = asError(err).message;
      const original = executor()?.exception;
      const stack = original instanceof Error ? original.stack : asError(err).stack;
      const marker = text.indexOf(outOfProcDataLabel);
      if (marker < 0) return { reply: { isDone: false, actions: [] }, failure: { message: text, stack } };
      const reply = JSON.parse(text.slice(marker + outOfProcDataLabel.length)) as OrchestratorReply;
      return { reply, failure: { message: reply.error ?? text.slice(0, marker), stack } };
    }
  }

  /**
   * The replayed actions must be the recorded ones (type and name, in order); the new ones take
   * sequence numbers as the extension numbers them and become history events and pending work.
   */
  #applyActions(outcome: Episode): { message: string } | undefined {
    const actions = flattenActions(outcome.reply.actions);
    for (let i = 0; i < Math.min(actions.length, this.#recorded.length); i++) {
      const before = this.#recorded[i];
      const name = describeAction(actions[i]);
      if (before.type !== actions[i].actionType || before.name !== name)
        return this.#nonDeterminism(`the orchestrator's action #${i} on replay is ${name}, but the history recorded ${before.name}`);
    }
    if (actions.length < this.#recorded.length)
      return this.#nonDeterminism(
        `the replay produced ${actions.length} actions, but the history recorded ${this.#recorded.length} (the next is ${this.#recorded[actions.length].name})`,
      );
    for (const action of actions.slice(this.#recorded.length)) {
      const unsupported = this.#schedule(action);
      if (unsupported) return unsupported;
    }
    if (outcome.sdkSequence !== undefined && outcome.sdkSequence !== this.#nextId)
      return {
        message:
          `replay: the SDK numbered ${outcome.sdkSequence} tasks but its actions account for ${this.#nextId}: a task already ` +
          'scheduled was yielded again inside a new Task.all/Task.any, and the SDK sends its action again; an engine that ' +
          'numbers the actions it gets (the devhost, the Durable extension) would then deliver completions under the wrong ids.',
      };
    actions.forEach((action, i) => {
      if (action.actionType === ActionType.CreateTimer && action.isCanceled) this.#cancelTimer(this.#recorded[i].id);
      const event = action.externalEventName;
      if (action.actionType === ActionType.WaitForExternalEvent && event && !this.#eventsReceived.has(event)) this.#waitingFor.add(event);
    });
    return undefined;
  }

  #nonDeterminism(detail: string): { message: string } {
    return {
      message: `Non-deterministic workflow detected: ${detail}. Orchestrator code must make the same calls in the same order on every replay.`,
    };
  }

  #schedule(action: SdkAction): { message: string } | undefined {
    const name = describeAction(action);
    const takesId = action.actionType !== ActionType.WaitForExternalEvent && action.actionType !== ActionType.ContinueAsNew;
    const id = takesId ? this.#nextId++ : -1;
    this.#recorded.push({ type: action.actionType, name, id: takesId ? id : undefined });
    const isChild = action.actionType === ActionType.CallSubOrchestrator || action.actionType === ActionType.CallSubOrchestratorWithRetry;
    // Activity inputs come pre-serialised when they are strings; a child's never do.
    const input = isChild && action.input !== undefined ? JSON.stringify(action.input) : inputJson(action.input);
    const retry = action.retryOptions && {
      options: action.retryOptions,
      failedAttempts: 0,
      firstAttemptAt: this.#now.getTime(),
      exhausted: false,
    };
    const fn = action.functionName ?? '';
    switch (action.actionType) {
      case ActionType.CallActivity:
      case ActionType.CallActivityWithRetry:
        this.#history.push(historyEvent(EventType.TaskScheduled, { Name: fn, Version: '', Input: input }, id, this.#now));
        this.#enqueue({ kind: 'activity', id, name: fn, input, attempt: 1, retry });
        return undefined;
      case ActionType.CallSubOrchestrator:
      case ActionType.CallSubOrchestratorWithRetry: {
        const childId = action.instanceId || `${this.instanceId}:${String(id).padStart(4, '0')}`;
        const fields = { Name: fn, Version: '', InstanceId: childId, Input: input };
        this.#history.push(historyEvent(EventType.SubOrchestrationInstanceCreated, fields, id, this.#now));
        this.#enqueue({ kind: 'child', id, name: fn, childId, input, attempt: 1, retry });
        return undefined;
      }
      case ActionType.CreateTimer: {
        const fireAt = new Date(action.fireAt ?? this.#now);
        this.#history.push(historyEvent(EventType.TimerCreated, { FireAt: fireAt.toISOString() }, id, this.#now));
        this.#addTimer(id, fireAt);
        return undefined;
      }
      case ActionType.WaitForExternalEvent:
      case ActionType.ContinueAsNew:
        return undefined;
      default:
        return { message: `replay: ${name} is not supported by the replay driver (entities and callHttp are not).` };
    }
  }

  #enqueue(work: Work, outcome?: Outcome): void {
    if (work.kind === 'child') this.#runningChildren.set(work.childId, work.name);
    this.queued.push({ seq: this.#session.seq++, work, outcome });
  }

  #addTimer(id: number, fireAt: Date, retryOf?: Work): void {
    const record: TimerRecord = {
      instanceId: this.instanceId,
      id,
      createdAt: this.#now.toISOString(),
      fireAt: fireAt.toISOString(),
      retry: retryOf !== undefined,
      fired: false,
      cancelled: false,
    };
    this.#session.timers.push(record);
    this.timers.push({ id, seq: this.#session.seq++, fireAt, record, retryOf });
  }

  #cancelTimer(id: number | undefined): void {
    const timer = this.timers.find((t) => t.id === id);
    if (!timer) return;
    timer.record.cancelled = true;
    this.timers = this.timers.filter((t) => t !== timer);
  }

  #isDue(trigger: EventTrigger): boolean {
    if ((trigger.instanceId ?? this.#session.rootId) !== this.instanceId) return false;
    if ('afterActivity' in trigger) return (this.#session.completions.get(trigger.afterActivity) ?? 0) >= (trigger.nth ?? 1);
    return trigger.when({
      instanceId: this.instanceId,
      episode: this.#episodes,
      now: new Date(this.#now.getTime()),
      pendingActivities: this.queued.flatMap((q) => (q.work.kind === 'activity' ? [q.work.name] : [])),
      pendingChildren: [...this.#runningChildren.values()],
      pendingTimers: this.timers.length,
      waitingFor: [...this.#waitingFor],
      calls: this.#session.calls,
      customStatus: this.#customStatus,
    });
  }

  /**
   * A task's completion event. After a failed attempt of a task with RetryOptions, the SDK's
   * RetryableTask takes the next sequence number for a back-off timer as soon as it sees the failure.
   */
  #completion(work: Work, outcome: Outcome): HistoryEvent[] {
    if (work.kind === 'child') this.#runningChildren.delete(work.childId);
    const [completed, failed] =
      work.kind === 'activity'
        ? [EventType.TaskCompleted, EventType.TaskFailed]
        : [EventType.SubOrchestrationInstanceCompleted, EventType.SubOrchestrationInstanceFailed];
    if (outcome.ok) return [historyEvent(completed, { TaskScheduledId: work.id, Result: JSON.stringify(outcome.result) }, -1, this.#now)];
    const failure = historyEvent(failed, { TaskScheduledId: work.id, ...failureFields(outcome.error) }, -1, this.#now);
    const retry = work.retry;
    if (!retry) return [failure];
    retry.failedAttempts++;
    retry.lastError = outcome.error;
    const delay = nextAttemptDelayMs(retry.options, retry.failedAttempts, retry.firstAttemptAt, this.#now.getTime());
    if (delay === undefined && retry.failedAttempts < retry.options.maxNumberOfAttempts) retry.exhausted = true;
    const timerId = this.#nextId++;
    const fireAt = new Date(this.#now.getTime() + (delay ?? 0));
    this.#addTimer(timerId, fireAt, work);
    return [failure, historyEvent(EventType.TimerCreated, { FireAt: fireAt.toISOString() }, timerId, this.#now)];
  }

  /** After a back-off timer: the next attempt under the next sequence number, unless none is left (the SDK then fails the task). */
  #nextAttempt(previous: Work): HistoryEvent[] {
    const retry = previous.retry as RetryChain;
    if (retry.failedAttempts >= retry.options.maxNumberOfAttempts) return [];
    const id = this.#nextId++;
    const attempt = { ...previous, id, attempt: retry.failedAttempts + 1 };
    this.#enqueue(attempt);
    if (attempt.kind === 'activity')
      return [historyEvent(EventType.TaskScheduled, { Name: attempt.name, Version: '', Input: attempt.input }, id, this.#now)];
    const fields = { Name: attempt.name, Version: '', InstanceId: attempt.childId, Input: attempt.input };
    return [historyEvent(EventType.SubOrchestrationInstanceCreated, fields, id, this.#now)];
  }

  #activityCall(work: Work, nth: number): ActivityCall {
    return {
      name: work.name,
      input: parseJson(work.input),
      attempt: work.attempt,
      nth,
      instanceId: work.kind === 'child' ? work.childId : this.instanceId,
      at: this.#now.toISOString(),
    };
  }

  #responderCall(call: ActivityCall): ResponderCall {
    return {
      ...call,
      raiseEvent: (instanceId, name, input) => {
        if (this.#session.ended.has(instanceId)) return;
        const box = this.#session.mailbox.get(instanceId) ?? [];
        box.push({ name, input });
        this.#session.mailbox.set(instanceId, box);
      },
    };
  }

  async #callActivity(work: Extract<Work, { kind: 'activity' }>): Promise<Outcome> {
    const responder = this.#session.options.activities?.[work.name];
    if (!responder)
      throw new Error(`replay: no responder for activity '${work.name}' (called by ${this.instanceId} with ${work.input ?? 'no input'})`);
    const call = this.#activityCall(work, bump(this.#called, work.name));
    const record: CallRecord = { ...call, ok: true };
    this.#session.calls.push(record);
    bump(this.#session.completions, work.name);
    try {
      record.result = viaJson(await responder(parseJson(work.input), this.#responderCall(call)));
      return { ok: true, result: record.result };
    } catch (err) {
      const error = asError(err);
      Object.assign(record, { ok: false, error: error.message });
      return { ok: false, error };
    }
  }

  async #answerChild(work: Work, responder: Responder): Promise<Outcome> {
    try {
      return { ok: true, result: viaJson(await responder(parseJson(work.input), this.#responderCall(this.#activityCall(work, 1)))) };
    } catch (err) {
      return { ok: false, error: asError(err) };
    }
  }

  /** The instance is over: its result is kept, and a child's outcome queues for its parent. */
  #end(status: ReplayResult['status'], output?: unknown, error?: { message: string; stack?: string }): void {
    const session = this.#session;
    const isRoot = this.#parent === undefined;
    const mine = <T extends { instanceId: string }>(records: T[]): T[] =>
      isRoot ? records : records.filter((r) => r.instanceId === this.instanceId);
    this.result = {
      instanceId: this.instanceId,
      status,
      output,
      error,
      customStatuses: this.#customStatuses,
      customStatus: this.#customStatus,
      calls: mine(session.calls),
      timers: mine(session.timers),
      events: mine(session.events),
      waitingFor: [...this.#waitingFor],
      episodes: this.#episodes,
      continuedAsNew: this.#continuedAsNew,
      endedAt: new Date(this.#now.getTime()),
      history: this.#history,
      children: isRoot ? session.children : {},
    };
    session.live = session.live.filter((i) => i !== this);
    session.ended.add(this.instanceId);
    session.mailbox.delete(this.instanceId);
    if (!this.#parent) return;
    session.children[this.instanceId] = this.result;
    const { instance: parent, work } = this.#parent;
    if (status === 'waiting' || parent.result) return;
    const outcome: Outcome =
      status === 'completed'
        ? { ok: true, result: viaJson(output) }
        : { ok: false, error: new Error(`Sub-orchestration '${this.#name}' (${this.instanceId}) failed: ${error?.message}`) };
    parent.#enqueue(work, outcome);
  }

  #tooManyEpisodes(max: number): Error {
    const last = this.#session.calls
      .filter((c) => c.instanceId === this.instanceId)
      .slice(-5)
      .map((c) => `${c.name}#${c.nth}`);
    return new Error(
      `replay: ${this.instanceId} did not finish within ${max} episodes (virtual clock ${this.#now.toISOString()}; last calls: ${last.join(', ') || 'none'})`,
    );
  }
}
