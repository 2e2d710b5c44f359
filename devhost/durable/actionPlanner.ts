import { createHash } from 'node:crypto';
import { EventType, HistoryEvent, historyEvent } from './historyEvents';
import {
  EntityOperationMessage,
  entityInstanceId,
  InstanceMessage,
  lockOperation,
  RecordedAction,
  releaseOperation,
} from './instanceModel';
import { ActionType, DurableHttpRequestWire, flattenActions, inputJson, RetryOptionsWire, SdkAction } from './sdkActions';

/** Work an episode's new actions start once its checkpoint is durable. */
export type Effect =
  | { kind: 'activity'; id: number; name: string; input?: string; retry?: RetryOptionsWire }
  | { kind: 'timer'; id: number; fireAt: string }
  | { kind: 'child'; id: number; name: string; childId: string; input?: string; retry?: RetryOptionsWire }
  | { kind: 'send'; target: string; message: InstanceMessage }
  | { kind: 'http'; id: number; request: DurableHttpRequestWire; notBefore?: string };

/** The name the extension gives the built-in activity behind callHttp. */
export const httpActivityName = 'BuiltIn::HttpActivity';

export interface Plan {
  events: HistoryEvent[];
  recorded: RecordedAction[];
  effects: Effect[];
  nextId: number;
  continueAsNew?: { input?: string };
  nonDeterminism?: string;
}

export interface PlanInput {
  instanceId: string;
  actions: unknown;
  recorded: RecordedAction[];
  nextId: number;
  now: Date;
}

function idsTaken(action: SdkAction, lastLockSize: number): number {
  switch (action.actionType) {
    case ActionType.WaitForExternalEvent:
    case ActionType.ContinueAsNew:
      return 0;
    case ActionType.ReleaseEntities:
      return lastLockSize;
    default:
      return 1;
  }
}

function describe(action: SdkAction): string {
  const type = ActionType[action.actionType] ?? `action type ${action.actionType}`;
  switch (action.actionType) {
    case ActionType.CallActivity:
    case ActionType.CallActivityWithRetry:
    case ActionType.CallSubOrchestrator:
    case ActionType.CallSubOrchestratorWithRetry:
      return `${type} '${action.functionName}'`;
    case ActionType.WaitForExternalEvent:
      return `${type} '${action.externalEventName}'`;
    case ActionType.CallEntity:
    case ActionType.SignalEntity:
      return `${type} '${action.instanceId}' operation '${action.operation}'`;
    case ActionType.CallHttp:
      return `${type} ${action.httpRequest?.method} ${action.httpRequest?.uri}`;
    default:
      return type;
  }
}

function recordedName(action: SdkAction): string {
  return describe(action);
}

/** A request id derived from the instance and sequence number, so a replay or a retry reuses it. */
export function deterministicGuid(instanceId: string, id: number): string {
  const hex = createHash('sha1').update(`${instanceId}:${id}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Matches the actions an episode returned against the ones earlier episodes recorded (the
 * replayed prefix must be identical: that is the determinism check) and turns the new tail into
 * history events and effects, numbering them as the SDK numbered its tasks.
 */
export function planActions(input: PlanInput): Plan {
  const actions = flattenActions(input.actions);
  const plan: Plan = { events: [], recorded: [], effects: [], nextId: input.nextId };
  let lockSet: string[] = [];
  for (let i = 0; i < actions.length; i++) {
    const action = actions[i];
    if (action.actionType === ActionType.LockEntities) lockSet = lockSetOf(action);
    if (i < input.recorded.length) {
      const before = input.recorded[i];
      if (before.type !== action.actionType || before.name !== recordedName(action)) {
        plan.nonDeterminism =
          `Non-deterministic workflow detected: the orchestrator's action #${i} on replay is ${describe(action)}, ` +
          `but the history recorded ${before.name}${before.id === undefined ? '' : ` (sequence number ${before.id})`}. ` +
          'Orchestrator code must make the same calls in the same order on every replay.';
        return plan;
      }
      continue;
    }
    const taken = idsTaken(action, lockSet.length);
    const id = taken > 0 ? plan.nextId : undefined;
    plan.nextId += taken;
    plan.recorded.push({ type: action.actionType, name: recordedName(action), id, retry: action.retryOptions });
    addNewAction(plan, action, id, input, lockSet);
  }
  return plan;
}

function lockSetOf(action: SdkAction): string[] {
  return (action.lockSet ?? []).map((e) => entityInstanceId(e.name, e.key)).sort();
}

/** An EventSent event carrying the whole request (the SDK reads its `id`; recovery re-sends it), and the send. */
function sendToEntity(plan: Plan, eventId: number, at: Date, target: string, message: EntityOperationMessage): void {
  plan.events.push(historyEvent(EventType.EventSent, { InstanceId: target, Name: 'op', Input: JSON.stringify(message) }, eventId, at));
  plan.effects.push({ kind: 'send', target, message });
}

function addNewAction(plan: Plan, action: SdkAction, id: number | undefined, input: PlanInput, lockSet: string[]): void {
  const at = input.now;
  const eventId = id ?? -1;
  switch (action.actionType) {
    case ActionType.CallActivity:
    case ActionType.CallActivityWithRetry: {
      const name = action.functionName ?? '';
      const json = inputJson(action.input);
      plan.events.push(historyEvent(EventType.TaskScheduled, { Name: name, Version: '', Input: json }, eventId, at));
      plan.effects.push({ kind: 'activity', id: eventId, name, input: json, retry: action.retryOptions });
      return;
    }
    case ActionType.CallSubOrchestrator:
    case ActionType.CallSubOrchestratorWithRetry: {
      const name = action.functionName ?? '';
      // The SDK pre-serialises string inputs of activities and continueAsNew, not of sub-orchestrations.
      const json = action.input === undefined ? undefined : JSON.stringify(action.input);
      const childId = action.instanceId || `${input.instanceId}:${String(eventId).padStart(4, '0')}`;
      plan.events.push(
        historyEvent(EventType.SubOrchestrationInstanceCreated, { Name: name, Version: '', InstanceId: childId, Input: json }, eventId, at),
      );
      plan.effects.push({ kind: 'child', id: eventId, name, childId, input: json, retry: action.retryOptions });
      return;
    }
    case ActionType.CreateTimer: {
      const fireAt = new Date(action.fireAt ?? at).toISOString();
      plan.events.push(historyEvent(EventType.TimerCreated, { FireAt: fireAt }, eventId, at));
      if (!action.isCanceled) plan.effects.push({ kind: 'timer', id: eventId, fireAt });
      return;
    }
    case ActionType.CallEntity:
    case ActionType.SignalEntity: {
      const signal = action.actionType === ActionType.SignalEntity;
      sendToEntity(plan, eventId, at, action.instanceId ?? '', {
        kind: 'entityOperation',
        id: deterministicGuid(input.instanceId, eventId),
        op: action.operation ?? '',
        input: action.input === undefined ? undefined : JSON.stringify(action.input),
        signal,
        parent: signal ? undefined : input.instanceId,
      });
      return;
    }
    case ActionType.CallHttp: {
      const request = action.httpRequest as DurableHttpRequestWire;
      plan.events.push(
        historyEvent(EventType.TaskScheduled, { Name: httpActivityName, Version: '', Input: JSON.stringify(request) }, eventId, at),
      );
      plan.effects.push({ kind: 'http', id: eventId, request });
      return;
    }
    case ActionType.LockEntities: {
      const requestId = action.lockRequestId ?? deterministicGuid(input.instanceId, eventId);
      sendToEntity(plan, eventId, at, lockSet[0] ?? '', {
        kind: 'entityOperation',
        id: requestId,
        op: lockOperation,
        signal: false,
        parent: input.instanceId,
        input: JSON.stringify(lockSet),
      });
      return;
    }
    case ActionType.ReleaseEntities:
      // One sequence number, and one release message, per entity of the critical section.
      lockSet.forEach((entity, k) =>
        sendToEntity(plan, eventId + k, at, entity, {
          kind: 'entityOperation',
          id: deterministicGuid(input.instanceId, eventId + k),
          op: releaseOperation,
          signal: true,
          parent: input.instanceId,
        }),
      );
      return;
    case ActionType.ContinueAsNew:
      plan.continueAsNew = { input: inputJson(action.input) };
      return;
    default:
      return;
  }
}
