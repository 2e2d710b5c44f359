import { HistoryEvent } from './historyEvents';
import { RetryOptionsWire } from './sdkActions';

export type RuntimeStatus = 'Pending' | 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Terminated' | 'Suspended' | 'Canceled';

const terminal: ReadonlySet<RuntimeStatus> = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

export function isTerminal(status: RuntimeStatus): boolean {
  return terminal.has(status);
}

/** What the task hub keeps about one orchestration or entity instance besides its history. */
export interface InstanceMeta {
  instanceId: string;
  name: string;
  status: RuntimeStatus;
  /** JSON text, as the orchestrator received or produced it. */
  input?: string;
  output?: string;
  customStatus?: string;
  createdTime: string;
  lastUpdatedTime: string;
  executionId: string;
  /** Bumped by continueAsNew and rewind: the history of the current generation is the one replayed. */
  generation: number;
  /** History rows of the current generation. */
  chunks: number;
  /** The next sequence number the SDK will give a task of the current execution. */
  nextSequence: number;
  parentInstanceId?: string;
  parentTaskId?: number;
  /** Entities only: whether the entity exists, its state (JSON text), and recently handled request ids. */
  entityExists?: boolean;
  entityState?: string;
  recentRequests?: Record<string, EntityResponseMessage>;
  /** Entities only: the orchestration whose critical section holds the entity. */
  lockedBy?: EntityLock;
}

export interface EntityLock {
  parent: string;
  requestId: string;
  lockSet: string[];
}

/** One action the orchestrator asked for, as recorded to check later replays against it. */
export interface RecordedAction {
  type: number;
  name: string;
  /** The sequence number the action took, when it takes one. */
  id?: number;
  retry?: RetryOptionsWire;
}

export interface EntityResponseMessage {
  result?: string;
  exceptionType?: string;
}

/** Messages kept in an instance's inbox until the episode that consumes them is checkpointed. */
export type InstanceMessage =
  | { kind: 'event'; name: string; input?: string }
  | { kind: 'terminate'; reason?: string }
  | { kind: 'suspend'; reason?: string }
  | { kind: 'resume'; reason?: string }
  /** Makes a rewound instance replay at once, even when no failed task is left to run again. */
  | { kind: 'rewound'; reason?: string }
  | { kind: 'childDone'; taskId: number; childId: string; ok: boolean; result?: string; reason?: string; details?: string }
  | { kind: 'entityResponse'; requestId: string; response: EntityResponseMessage }
  | { kind: 'entityOperation'; id: string; op: string; input?: string; signal: boolean; parent?: string };

export type EntityOperationMessage = Extract<InstanceMessage, { kind: 'entityOperation' }>;

/** Operations the engine itself sends entities for critical sections (never given to the entity function). */
export const lockOperation = '__lock';
export const releaseOperation = '__release';

export interface InboxItem {
  rowKey: string;
  message: InstanceMessage;
}

export interface LoadedInstance {
  /** Missing for an entity that has messages but has never run. */
  meta?: InstanceMeta;
  history: HistoryEvent[];
  actions: RecordedAction[];
  inbox: InboxItem[];
}

export const entityPrefix = '@';

export function isEntityId(instanceId: string): boolean {
  return instanceId.startsWith(entityPrefix);
}

/** `@name@key`, the scheduler id the SDK and the extension give an entity (name lower-cased). */
export function entityInstanceId(name: string, key: string): string {
  return `@${name.toLowerCase()}@${key}`;
}

export function parseEntityInstanceId(instanceId: string): { name: string; key: string } {
  const at = instanceId.indexOf('@', 1);
  return { name: instanceId.slice(1, at), key: instanceId.slice(at + 1) };
}
