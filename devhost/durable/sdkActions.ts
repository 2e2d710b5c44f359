// The actions `durable-functions` returns from an orchestrator episode (its ActionType enum and
// the fields each action carries over the wire).

export enum ActionType {
  CallActivity = 0,
  CallActivityWithRetry = 1,
  CallSubOrchestrator = 2,
  CallSubOrchestratorWithRetry = 3,
  ContinueAsNew = 4,
  CreateTimer = 5,
  WaitForExternalEvent = 6,
  CallEntity = 7,
  CallHttp = 8,
  SignalEntity = 9,
  WhenAny = 11,
  WhenAll = 12,
  LockEntities = 13,
  ReleaseEntities = 14,
}

export interface RetryOptionsWire {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

export interface DurableHttpRequestWire {
  method: string;
  uri: string;
  content?: string;
  headers?: Record<string, string>;
  asynchronousPatternEnabled?: boolean;
}

export interface SdkAction {
  actionType: ActionType;
  functionName?: string;
  input?: unknown;
  retryOptions?: RetryOptionsWire;
  instanceId?: string;
  fireAt?: string;
  isCanceled?: boolean;
  externalEventName?: string;
  operation?: string;
  httpRequest?: DurableHttpRequestWire;
  lockRequestId?: string;
  lockSet?: { name: string; key: string }[];
  compoundActions?: SdkAction[];
}

/** The orchestrator's reply (OrchestratorState), also embedded in the error of a failed episode. */
export interface OrchestratorReply {
  isDone: boolean;
  actions: unknown[];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
}

/** Actions in the order the SDK numbered them: compound actions (Task.all/any) depth-first. */
export function flattenActions(actions: unknown): SdkAction[] {
  const flat: SdkAction[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    const action = value as SdkAction;
    if (action.actionType === ActionType.WhenAll || action.actionType === ActionType.WhenAny) {
      (action.compoundActions ?? []).forEach(visit);
      return;
    }
    flat.push(action);
  };
  visit(actions);
  return flat;
}

/**
 * The SDK pre-serialises string inputs (so that they arrive as JSON text) and leaves other values
 * as objects; either way the task hub keeps JSON text.
 */
export function inputJson(input: unknown): string | undefined {
  if (input === undefined) return undefined;
  return typeof input === 'string' ? input : JSON.stringify(input);
}
