import { EventType, HistoryEvent } from './historyEvents';
import { InstanceMeta } from './instanceModel';

export interface StatusOptions {
  showInput: boolean;
  showHistory: boolean;
  showHistoryOutput: boolean;
  /** The SDK's DurableOrchestrationStatus reads `history`; the documented HTTP API says `historyEvents`. */
  sdkHistoryField?: boolean;
}

function parsed(json: string | undefined): unknown {
  if (json === undefined || json === '') return null;
  try {
    return JSON.parse(json);
  } catch {
    return json;
  }
}

/** Times as the extension writes them: whole seconds, `2024-05-01T12:00:00Z`. */
export function wholeSeconds(iso: string): string {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? iso : new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The extension's status JSON (DurableOrchestrationStatus): input and output are never missing, only null. */
export function statusJson(meta: InstanceMeta, history: HistoryEvent[] | undefined, options: StatusOptions): Record<string, unknown> {
  const status: Record<string, unknown> = {
    name: meta.name,
    instanceId: meta.instanceId,
    runtimeStatus: meta.status,
    input: options.showInput ? parsed(meta.input) : null,
    customStatus: parsed(meta.customStatus),
    output: parsed(meta.output),
    createdTime: wholeSeconds(meta.createdTime),
    lastUpdatedTime: wholeSeconds(meta.lastUpdatedTime),
  };
  if (options.showHistory && history) {
    status.historyEvents = historyJson(history, options.showHistoryOutput);
    if (options.sdkHistoryField) status.history = status.historyEvents;
  }
  return status;
}

const hidden = new Set([
  EventType.OrchestratorStarted,
  EventType.OrchestratorCompleted,
  EventType.TaskScheduled,
  EventType.SubOrchestrationInstanceCreated,
  EventType.TimerCreated,
]);

/**
 * History as the extension shows it: scheduling events folded into their completions
 * (FunctionName, ScheduledTime), replay bookkeeping left out, payloads only with showHistoryOutput.
 */
export function historyJson(history: HistoryEvent[], showOutput: boolean): Record<string, unknown>[] {
  const scheduled = new Map<number, HistoryEvent>();
  for (const event of history) {
    if (event.EventType === EventType.TaskScheduled || event.EventType === EventType.SubOrchestrationInstanceCreated)
      scheduled.set(event.EventId, event);
  }
  const out: Record<string, unknown>[] = [];
  for (const event of history) {
    if (hidden.has(event.EventType)) continue;
    const item: Record<string, unknown> = { EventType: EventType[event.EventType], Timestamp: event.Timestamp };
    switch (event.EventType) {
      case EventType.ExecutionStarted:
        item.FunctionName = event.Name;
        if (showOutput) item.Input = parsed(event.Input as string | undefined);
        break;
      case EventType.TaskCompleted:
      case EventType.TaskFailed:
      case EventType.SubOrchestrationInstanceCompleted:
      case EventType.SubOrchestrationInstanceFailed: {
        const origin = scheduled.get(event.TaskScheduledId as number);
        item.FunctionName = origin?.Name;
        item.ScheduledTime = origin?.Timestamp;
        if (origin?.InstanceId) item.InstanceId = origin.InstanceId;
        if (event.Reason !== undefined) {
          item.Reason = event.Reason;
          item.Details = event.Details;
        } else if (showOutput) item.Result = parsed(event.Result as string | undefined);
        break;
      }
      case EventType.TimerFired:
        item.FireAt = event.FireAt;
        break;
      case EventType.EventRaised:
      case EventType.EventSent:
        item.Name = event.Name;
        if (event.InstanceId) item.InstanceId = event.InstanceId;
        if (showOutput) item.Input = parsed(event.Input as string | undefined);
        break;
      case EventType.ExecutionCompleted:
        item.OrchestrationStatus = event.OrchestrationStatus;
        if (showOutput || event.OrchestrationStatus === 'Failed') item.Result = parsed(event.Result as string | undefined);
        if (event.FailureDetails !== undefined) item.FailureDetails = event.FailureDetails;
        break;
      case EventType.ExecutionTerminated:
        if (showOutput) item.Input = parsed(event.Input as string | undefined);
        break;
      default:
        if (event.Reason !== undefined) item.Reason = event.Reason;
        break;
    }
    out.push(item);
  }
  return out;
}
