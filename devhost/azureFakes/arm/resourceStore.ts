import { randomUUID } from 'node:crypto';
import { ArmError, ArmResource, LifecyclePhase, ResourceTypeDefinition } from './armTypes';

export type OperationStatus = 'InProgress' | 'Succeeded' | 'Failed';

/** What fault injection changes about one create. */
export interface CreateFault {
  /** The create ends `Failed` with this error (after `afterMs`, default: halfway through the lifecycle). */
  fail?: { error: ArmError; afterMs?: number };
  /** The create never gets past its first phase. */
  hold?: boolean;
}

interface ResourceRecord {
  definition: ResourceTypeDefinition;
  resource: ArmResource;
  hidden: unknown;
  createdAt: number;
  phases: LifecyclePhase[];
  held: boolean;
  failure?: { error: ArmError; afterMs: number };
  deletingAt?: number;
}

interface Operation {
  id: string;
  kind: 'create' | 'delete';
  key: string;
  record: ResourceRecord;
}

export interface ResourceView {
  resource: ArmResource;
  hidden: unknown;
  definition: ResourceTypeDefinition;
}

/**
 * The fake's resources and their long-running operations. States are computed from the clock when read (no timers):
 * a create walks its lifecycle phases by elapsed time, a delete removes the resource `deleteMs` after it started.
 */
export class ResourceStore {
  readonly #records = new Map<string, ResourceRecord>();
  readonly #operations = new Map<string, Operation>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Stores a new resource and starts its create; returns the create operation's id. */
  create(
    key: string,
    definition: ResourceTypeDefinition,
    accepted: { resource: ArmResource; hidden?: unknown },
    fault?: CreateFault,
  ): string {
    const phases = fault?.hold ? definition.lifecycle.create.slice(0, 1) : definition.lifecycle.create;
    const last = phases[phases.length - 1]?.afterMs ?? 0;
    const record: ResourceRecord = {
      definition,
      resource: accepted.resource,
      hidden: accepted.hidden,
      createdAt: this.now(),
      phases,
      held: fault?.hold === true,
      failure: fault?.fail ? { error: fault.fail.error, afterMs: fault.fail.afterMs ?? Math.floor(last / 2) } : undefined,
    };
    this.#records.set(key, record);
    return this.#startOperation('create', key, record);
  }

  /** Starts deleting a resource; undefined when there is none. A delete already running is returned, not restarted. */
  delete(key: string): string | undefined {
    const record = this.#live(key);
    if (!record) return undefined;
    if (record.deletingAt === undefined) record.deletingAt = this.now();
    const running = [...this.#operations.values()].find((op) => op.record === record && op.kind === 'delete');
    return running?.id ?? this.#startOperation('delete', key, record);
  }

  get(key: string): ResourceView | undefined {
    const record = this.#live(key);
    return record && { resource: this.#render(record), hidden: record.hidden, definition: record.definition };
  }

  isDeleting(key: string): boolean {
    return this.#live(key)?.deletingAt !== undefined;
  }

  /** Every live resource whose key starts with `prefix` (a resource group's, a type's), as GET returns them. */
  list(prefix: string): ResourceView[] {
    return [...this.#records.keys()]
      .filter((key) => key.startsWith(prefix))
      .map((key) => this.get(key))
      .filter((view): view is ResourceView => view !== undefined);
  }

  operation(id: string): { kind: Operation['kind']; status: OperationStatus; error?: ArmError; resource?: ArmResource } | undefined {
    const op = this.#operations.get(id);
    if (!op) return undefined;
    const { record } = op;
    if (op.kind === 'delete') {
      const done = this.now() - (record.deletingAt ?? 0) >= record.definition.lifecycle.deleteMs;
      return { kind: 'delete', status: done ? 'Succeeded' : 'InProgress' };
    }
    const elapsed = this.now() - record.createdAt;
    if (record.failure && elapsed >= record.failure.afterMs) return { kind: 'create', status: 'Failed', error: record.failure.error };
    const settled = !record.held && elapsed >= (record.phases[record.phases.length - 1]?.afterMs ?? 0);
    return { kind: 'create', status: settled ? 'Succeeded' : 'InProgress', resource: this.#render(record) };
  }

  #startOperation(kind: Operation['kind'], key: string, record: ResourceRecord): string {
    const id = randomUUID();
    this.#operations.set(id, { id, kind, key, record });
    return id;
  }

  /** The record of a resource that still exists (a finished delete removes it). */
  #live(key: string): ResourceRecord | undefined {
    const record = this.#records.get(key);
    if (record?.deletingAt !== undefined && this.now() - record.deletingAt >= record.definition.lifecycle.deleteMs) {
      this.#records.delete(key);
      return undefined;
    }
    return record;
  }

  #render(record: ResourceRecord): ArmResource {
    const elapsed = this.now() - record.createdAt;
    let properties = { ...record.resource.properties };
    for (const phase of record.phases) if (phase.afterMs <= elapsed) properties = { ...properties, ...phase.properties };
    if (record.failure && elapsed >= record.failure.afterMs)
      properties = { ...properties, ...record.definition.lifecycle.failed(record.failure.error), provisioningState: 'Failed' };
    if (record.deletingAt !== undefined) properties = { ...properties, ...record.definition.lifecycle.deleting };
    return { ...record.resource, properties };
  }
}
