import { odata, RestError, TableClient, TableEntity, TransactionAction } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { HistoryEvent } from './historyEvents';
import {
  entityInstanceId,
  entityPrefix,
  InboxItem,
  InstanceMessage,
  InstanceMeta,
  isEntityId,
  LoadedInstance,
  RecordedAction,
  RuntimeStatus,
} from './instanceModel';
import { PayloadStore } from './payloadStore';
import { historyRowKey, historyRowPrefix, inboxRowKey, inboxRowPrefix, instanceIdOf, metaRowKey, partitionKeyOf } from './tableKeys';

/** One episode's durable outcome, written as a single entity-group transaction on the instance's partition. */
export interface Checkpoint {
  meta: InstanceMeta;
  /** Events appended to the history of `meta.generation` (the whole history when the generation is new). */
  newEvents: HistoryEvent[];
  newActions: RecordedAction[];
  /** Inbox rows the episode consumed: deleted in the same transaction, so a message is applied once. */
  consumed: string[];
  /** Messages the instance sends itself (events carried over a continueAsNew), with their row keys. */
  carried?: InboxItem[];
}

export interface IndexQuery {
  createdTimeFrom?: string;
  createdTimeTo?: string;
  runtimeStatus?: RuntimeStatus[];
  instanceIdPrefix?: string;
  top?: number;
  continuationToken?: string;
}

/** A continuation token the table service never issued (it is the caller's, so a 400). */
export class InvalidContinuationToken extends Error {
  readonly code = 'DEVHOST.BAD_CONTINUATION';
}

/** The first page of a listing; a token the SDK cannot decode fails as InvalidContinuationToken. */
async function firstPage<T>(
  pages: () => AsyncIterator<T[] & { continuationToken?: string }>,
  continuationToken: string | undefined,
): Promise<(T[] & { continuationToken?: string }) | undefined> {
  try {
    const page = await pages().next();
    return page.done ? undefined : page.value;
  } catch (err) {
    if (continuationToken !== undefined && !(err instanceof RestError))
      throw new InvalidContinuationToken(`The continuation token is not one this API issued.`);
    throw err;
  }
}

const transactionLimit = 100;
/** An episode consumes at most this many messages, so that its checkpoint fits in one transaction. */
export const maxMessagesPerCheckpoint = 45;

function isStatus(err: unknown, status: number): boolean {
  return err instanceof RestError && err.statusCode === status;
}

/** A row of `<hub>Instances`: what status queries filter on. */
interface IndexRow {
  partitionKey: string;
  rowKey: string;
  name: string;
  status: string;
  createdTime: string;
  lastUpdatedTime: string;
}

function indexRow(meta: InstanceMeta): IndexRow {
  const { name, status, createdTime, lastUpdatedTime } = meta;
  return { partitionKey: partitionKeyOf(meta.instanceId), rowKey: '', name, status, createdTime, lastUpdatedTime };
}

function pick(row: IndexRow): Omit<IndexRow, 'partitionKey' | 'rowKey'> {
  return { name: row.name, status: row.status, createdTime: row.createdTime, lastUpdatedTime: row.lastUpdatedTime };
}

const metaTextFields = ['input', 'output', 'customStatus', 'entityState', 'recentRequests'] as const;

/**
 * The task hub in the app's storage account, laid out like the Azure Storage provider's:
 * `<hub>Instances` (one row per instance, for queries), `<hub>History` (per instance partition:
 * a `meta` row, one row per checkpointed episode, and inbox rows) and `<hub>-largemessages`.
 */
export class TaskHubStore {
  readonly hubName: string;
  readonly #history: TableClient;
  readonly #instances: TableClient;
  readonly #payloads: PayloadStore;
  #blobSequence = 0;
  /** Large meta fields last written per instance, so that an unchanged one is not uploaded again. */
  readonly #metaBlobs = new Map<string, { text: string; blob: string }>();

  constructor(connection: string, hubName: string, blobs: BlobServiceClient) {
    this.hubName = hubName;
    const options = { allowInsecureConnection: true };
    this.#history = TableClient.fromConnectionString(connection, `${hubName}History`, options);
    this.#instances = TableClient.fromConnectionString(connection, `${hubName}Instances`, options);
    this.#payloads = new PayloadStore(blobs.getContainerClient(`${hubName.toLowerCase()}-largemessages`));
  }

  async init(): Promise<void> {
    await Promise.all([this.#history.createTable(), this.#instances.createTable(), this.#payloads.init()]);
  }

  /** Creates the instance's meta row; false when a row for that id already exists. */
  async tryCreate(meta: InstanceMeta): Promise<boolean> {
    try {
      await this.#history.createEntity(await this.#metaRow(meta));
    } catch (err) {
      if (isStatus(err, 409)) return false;
      throw err;
    }
    await this.writeIndex(meta);
    return true;
  }

  async readMeta(instanceId: string): Promise<InstanceMeta | undefined> {
    try {
      const row = await this.#history.getEntity<Record<string, unknown>>(partitionKeyOf(instanceId), metaRowKey);
      return await this.#parseMeta(instanceId, row);
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  async load(instanceId: string): Promise<LoadedInstance | undefined> {
    const pk = partitionKeyOf(instanceId);
    const rows: (Record<string, unknown> & { rowKey: string })[] = [];
    for await (const row of this.#history.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${pk}` } }))
      rows.push({ ...row, rowKey: row.rowKey ?? '' });
    if (rows.length === 0) return undefined;
    const metaRow = rows.find((r) => r.rowKey === metaRowKey);
    const meta = metaRow && (await this.#parseMeta(instanceId, metaRow));
    const prefix = historyRowPrefix(meta?.generation ?? 0);
    const history: HistoryEvent[] = [];
    const actions: RecordedAction[] = [];
    const chunks = rows.filter((r) => meta && r.rowKey.startsWith(prefix)).sort((a, b) => (a.rowKey < b.rowKey ? -1 : 1));
    const texts = await Promise.all(chunks.map((r) => this.#payloads.unpack(r, 'data')));
    for (const text of texts) {
      const chunk = JSON.parse(text ?? '{}') as { e?: HistoryEvent[]; a?: RecordedAction[] };
      history.push(...(chunk.e ?? []));
      actions.push(...(chunk.a ?? []));
    }
    const inboxRows = rows.filter((r) => r.rowKey.startsWith(inboxRowPrefix)).sort((a, b) => (a.rowKey < b.rowKey ? -1 : 1));
    const messages = await Promise.all(inboxRows.map((r) => this.#payloads.unpack(r, 'message')));
    const inbox: InboxItem[] = inboxRows.map((r, i) => ({ rowKey: r.rowKey, message: JSON.parse(messages[i] ?? '{}') as InstanceMessage }));
    return { meta, history, actions, inbox };
  }

  async checkpoint(cp: Checkpoint): Promise<void> {
    const pk = partitionKeyOf(cp.meta.instanceId);
    const ops: TransactionAction[] = [['upsert', await this.#metaRow(cp.meta), 'Replace']];
    if (cp.newEvents.length > 0 || cp.newActions.length > 0) {
      const rowKey = historyRowKey(cp.meta.generation, cp.meta.chunks - 1);
      const row: Record<string, unknown> = { partitionKey: pk, rowKey };
      await this.#payloads.pack(row, 'data', JSON.stringify({ e: cp.newEvents, a: cp.newActions }), `${pk}/${rowKey}.json`);
      ops.push(['create', row as TableEntity]);
    }
    for (const rowKey of cp.consumed) ops.push(['delete', { partitionKey: pk, rowKey }]);
    for (const item of cp.carried ?? []) ops.push(['create', await this.#messageRow(pk, item.rowKey, item.message)]);
    // A transaction holds 100 operations; carried messages past that follow in their own.
    await this.#submit(ops);
  }

  async appendMessage(instanceId: string, message: InstanceMessage): Promise<string> {
    const rowKey = inboxRowKey();
    await this.#history.createEntity(await this.#messageRow(partitionKeyOf(instanceId), rowKey, message));
    return rowKey;
  }

  async deleteMessages(instanceId: string, rowKeys: string[]): Promise<void> {
    const pk = partitionKeyOf(instanceId);
    const ops: TransactionAction[] = rowKeys.map((rowKey) => ['delete', { partitionKey: pk, rowKey }]);
    await this.#submit(ops);
  }

  /** Entity-group transactions of at most 100 operations, in order. */
  async #submit(ops: TransactionAction[]): Promise<void> {
    for (let i = 0; i < ops.length; i += transactionLimit) await this.#history.submitTransaction(ops.slice(i, i + transactionLimit));
  }

  async #messageRow(pk: string, rowKey: string, message: InstanceMessage): Promise<TableEntity<Record<string, unknown>>> {
    const row: TableEntity<Record<string, unknown>> = { partitionKey: pk, rowKey };
    await this.#payloads.pack(row, 'message', JSON.stringify(message), `${pk}/${rowKey}.json`);
    return row;
  }

  async writeIndex(meta: InstanceMeta): Promise<void> {
    await this.#instances.upsertEntity(indexRow(meta), 'Replace');
  }

  /**
   * Makes the instances index agree with the instances' own rows, which a checkpoint writes first:
   * a crash between the two writes leaves the index behind. The index is read before the meta rows
   * and every fix is conditional on the row read, so an index row a running episode rewrites
   * meanwhile is left to it. Returns how many rows were fixed.
   */
  async repairIndex(): Promise<number> {
    const indexed = new Map<string, { status: string; etag: string }>();
    for await (const row of this.#instances.listEntities<{ status: string }>({ queryOptions: { select: ['PartitionKey', 'status'] } }))
      indexed.set(row.partitionKey as string, { status: row.status, etag: row.etag });
    const metas = new Map<string, IndexRow>();
    const filter = odata`RowKey eq ${metaRowKey}`;
    const select = ['PartitionKey', 'name', 'status', 'createdTime', 'lastUpdatedTime'];
    for await (const row of this.#history.listEntities<IndexRow>({ queryOptions: { filter, select } }))
      if (!isEntityId(instanceIdOf(row.partitionKey))) metas.set(row.partitionKey, row);
    let repaired = 0;
    const fix = async (write: Promise<unknown>): Promise<void> => {
      try {
        await write;
        repaired++;
      } catch (err) {
        // Someone wrote the row since it was read: theirs is newer.
        if (!isStatus(err, 404) && !isStatus(err, 409) && !isStatus(err, 412)) throw err;
      }
    };
    for (const [pk, meta] of metas) {
      const entry = indexed.get(pk);
      const row: IndexRow = { partitionKey: pk, rowKey: '', ...pick(meta) };
      if (!entry) await fix(this.#instances.createEntity(row));
      else if (entry.status !== meta.status) await fix(this.#instances.updateEntity(row, 'Replace', { etag: entry.etag }));
    }
    // A purge deletes the instance's rows before its index row.
    for (const [pk, entry] of indexed) if (!metas.has(pk)) await fix(this.#instances.deleteEntity(pk, '', { etag: entry.etag }));
    return repaired;
  }

  /** Ids of the instances the index lists, a page at a time. */
  async listIndex(query: IndexQuery): Promise<{ instanceIds: string[]; continuationToken?: string }> {
    const clauses: string[] = [];
    if (query.createdTimeFrom) clauses.push(odata`createdTime ge ${query.createdTimeFrom}`);
    if (query.createdTimeTo) clauses.push(odata`createdTime le ${query.createdTimeTo}`);
    if (query.runtimeStatus?.length) clauses.push(`(${query.runtimeStatus.map((s) => odata`status eq ${s}`).join(' or ')})`);
    if (query.instanceIdPrefix) {
      const from = partitionKeyOf(query.instanceIdPrefix);
      clauses.push(odata`PartitionKey ge ${from} and PartitionKey lt ${from + '\uffff'}`);
    }
    const page = await firstPage(
      () =>
        this.#instances
          .listEntities({ queryOptions: { filter: clauses.join(' and ') || undefined, select: ['PartitionKey'] } })
          .byPage({ maxPageSize: query.top ?? 100, continuationToken: query.continuationToken }),
      query.continuationToken,
    );
    if (!page) return { instanceIds: [] };
    return { instanceIds: page.map((r) => instanceIdOf(r.partitionKey as string)), continuationToken: page.continuationToken };
  }

  /** Ids of entities that have a meta row (optionally of one entity name), a page at a time. */
  async listEntityIds(
    name: string | undefined,
    top: number,
    continuationToken: string | undefined,
  ): Promise<{ instanceIds: string[]; continuationToken?: string }> {
    const from = name === undefined ? entityPrefix : partitionKeyOf(entityInstanceId(name, ''));
    const to = name === undefined ? String.fromCharCode(entityPrefix.charCodeAt(0) + 1) : from + '\uffff';
    const filter = odata`RowKey eq ${metaRowKey} and PartitionKey ge ${from} and PartitionKey lt ${to} and entityExists eq ${true}`;
    const page = await firstPage(
      () =>
        this.#history.listEntities({ queryOptions: { filter, select: ['PartitionKey'] } }).byPage({ maxPageSize: top, continuationToken }),
      continuationToken,
    );
    if (!page) return { instanceIds: [] };
    return { instanceIds: page.map((r) => instanceIdOf(r.partitionKey as string)), continuationToken: page.continuationToken };
  }

  /** Instances the index says are not finished, and instances with unread inbox messages. */
  async instancesWithWork(): Promise<string[]> {
    const ids = new Set<string>();
    const open = "status eq 'Pending' or status eq 'Running' or status eq 'Suspended' or status eq 'ContinuedAsNew'";
    for await (const row of this.#instances.listEntities({ queryOptions: { filter: open, select: ['PartitionKey'] } }))
      ids.add(instanceIdOf(row.partitionKey as string));
    const inbox = odata`RowKey ge ${inboxRowPrefix} and RowKey lt ${'r'}`;
    for await (const row of this.#history.listEntities({ queryOptions: { filter: inbox, select: ['PartitionKey'] } }))
      ids.add(instanceIdOf(row.partitionKey as string));
    return [...ids];
  }

  /** Removes the history rows of generations before the current one (after continueAsNew or rewind). */
  async deleteOldGenerations(instanceId: string, currentGeneration: number): Promise<void> {
    const pk = partitionKeyOf(instanceId);
    const filter = odata`PartitionKey eq ${pk} and RowKey ge ${'h'} and RowKey lt ${historyRowPrefix(currentGeneration)}`;
    const stale: TransactionAction[] = [];
    for await (const row of this.#history.listEntities({ queryOptions: { filter, select: ['RowKey'] } }))
      stale.push(['delete', { partitionKey: pk, rowKey: row.rowKey as string }]);
    await this.#submit(stale);
  }

  async purge(instanceId: string): Promise<void> {
    const pk = partitionKeyOf(instanceId);
    const rows: TransactionAction[] = [];
    for await (const row of this.#history.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${pk}`, select: ['RowKey'] } }))
      rows.push(['delete', { partitionKey: pk, rowKey: row.rowKey as string }]);
    await this.#submit(rows);
    await this.#instances.deleteEntity(pk, '').catch((err: unknown) => {
      if (!isStatus(err, 404)) throw err;
    });
    await this.#payloads.deleteUnder(`${pk}/`);
    for (const field of metaTextFields) this.#metaBlobs.delete(`${pk}/${field}`);
  }

  async #metaRow(meta: InstanceMeta): Promise<TableEntity<Record<string, unknown>>> {
    const pk = partitionKeyOf(meta.instanceId);
    const row: TableEntity<Record<string, unknown>> = {
      partitionKey: pk,
      rowKey: metaRowKey,
      name: meta.name,
      status: meta.status,
      createdTime: meta.createdTime,
      lastUpdatedTime: meta.lastUpdatedTime,
      executionId: meta.executionId,
      generation: meta.generation,
      chunks: meta.chunks,
      nextSequence: meta.nextSequence,
    };
    if (meta.parentInstanceId !== undefined) row.parentInstanceId = meta.parentInstanceId;
    if (meta.parentTaskId !== undefined) row.parentTaskId = meta.parentTaskId;
    if (meta.entityExists !== undefined) row.entityExists = meta.entityExists;
    if (meta.lockedBy !== undefined) row.lockedBy = JSON.stringify(meta.lockedBy);
    const texts: Record<(typeof metaTextFields)[number], string | undefined> = {
      input: meta.input,
      output: meta.output,
      customStatus: meta.customStatus,
      entityState: meta.entityState,
      recentRequests: meta.recentRequests && JSON.stringify(meta.recentRequests),
    };
    for (const field of metaTextFields) {
      const text = texts[field];
      const key = `${pk}/${field}`;
      const stored = this.#metaBlobs.get(key);
      if (text !== undefined && stored?.text === text) {
        // Unchanged since the last checkpoint (an instance's input, say): the blob already holds it.
        row[`${field}Blob`] = stored.blob;
        continue;
      }
      // Unique blob names: a crash before the transaction commits must leave the old row's blob intact.
      await this.#payloads.pack(row, field, text, `${pk}/meta-${field}-${Date.now()}-${this.#blobSequence++}.json`);
      const blob = row[`${field}Blob`];
      if (typeof blob === 'string' && text !== undefined) this.#metaBlobs.set(key, { text, blob });
      else this.#metaBlobs.delete(key);
    }
    return row;
  }

  async #parseMeta(instanceId: string, row: Record<string, unknown>): Promise<InstanceMeta> {
    const [input, output, customStatus, entityState, recentRequests] = await Promise.all(
      metaTextFields.map((field) => this.#payloads.unpack(row, field)),
    );
    return {
      instanceId,
      name: row.name as string,
      status: row.status as RuntimeStatus,
      input,
      output,
      customStatus,
      createdTime: row.createdTime as string,
      lastUpdatedTime: row.lastUpdatedTime as string,
      executionId: row.executionId as string,
      generation: row.generation as number,
      chunks: row.chunks as number,
      nextSequence: (row.nextSequence as number | undefined) ?? 0,
      parentInstanceId: row.parentInstanceId as string | undefined,
      parentTaskId: row.parentTaskId as number | undefined,
      entityExists: row.entityExists as boolean | undefined,
      lockedBy: typeof row.lockedBy === 'string' ? (JSON.parse(row.lockedBy) as InstanceMeta['lockedBy']) : undefined,
      entityState,
      recentRequests: recentRequests === undefined ? undefined : (JSON.parse(recentRequests) as InstanceMeta['recentRequests']),
    };
  }
}
