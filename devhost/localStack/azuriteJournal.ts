/**
 * Preloaded into the Azurite process (`--require`). Azurite keeps blob, queue and table metadata in
 * LokiJS databases that it saves to disk every 5 s, so a `kill -9` loses every write it acknowledged
 * since the last save (the blob and queue bytes themselves are already in extent files). This
 * write-ahead journal closes that gap: each change to a collection is appended to the database's
 * journal as it happens (so a killed process keeps it), the response to a request that changed
 * metadata waits until the journal is fsync'd (so a power loss keeps it too; one fsync covers every
 * request waiting at the time, so concurrency keeps throughput, and reads never wait), and loading a
 * database replays its journals. A save seals the journal it covers and deletes it once the snapshot is on disk.
 * Replay is idempotent (whole documents by `$loki`), so replaying a journal the snapshot already
 * contains is harmless.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

type Doc = Record<string, unknown> & { $loki: number };

interface LokiCollection {
  name: string;
  data: Doc[];
  /** Null while LokiJS has it to rebuild; read positions through `data`. */
  idIndex: number[] | null;
  maxId: number;
  dirty: boolean;
  constraints: { unique: Record<string, unknown> };
  insertOne(doc: object, bulkInsert?: boolean): Doc | undefined;
  update(doc: Doc | Doc[]): unknown;
  remove(doc: number | Doc | Doc[]): unknown;
  removeBatchByPositions(positions: number[]): unknown;
  clear(options?: unknown): unknown;
  ensureAllIndexes(force?: boolean): void;
  ensureUniqueIndex(field: string): void;
}

interface LokiDb {
  filename: string;
  persistenceMethod?: string;
  collections: LokiCollection[];
  getCollection(name: string): LokiCollection | null;
  addCollection(name: string, options?: unknown): LokiCollection;
  removeCollection(name: string): void;
  loadDatabase(options: unknown, callback?: (err?: Error | null) => void): void;
}

type JournalRecord =
  | { add: string; options?: unknown }
  | { drop: string }
  | { c: string; put: Doc }
  | { c: string; del: number[] }
  | { c: string; clear: true };

/* eslint-disable @typescript-eslint/no-require-imports */
const Loki = require('lokijs') as {
  prototype: LokiDb;
  Collection: { prototype: LokiCollection };
  LokiFsAdapter: { prototype: { saveDatabase(name: string, data: string, callback: (err?: Error | null) => void): void } };
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** The request being served: only a response whose own request changed metadata waits for the fsync. */
const servedRequest = new AsyncLocalStorage<{ lastAppend: number }>();

/** Holds such responses until every journal append made before them is fsync'd; one fsync serves a whole batch. */
class GroupCommit {
  private readonly unsynced = new Set<number>();
  private readonly syncing = new Set<number>();
  private waiters: { append: number; release: () => void }[] = [];
  private appendCount = 0;
  private syncedThrough = 0;
  private inFlight = false;

  appended(fd: number): void {
    this.unsynced.add(fd);
    this.appendCount++;
    const request = servedRequest.getStore();
    if (request) request.lastAppend = this.appendCount;
  }

  /** Appends made outside any request's context are waited for by every response, to stay on the safe side. */
  mustWait(): number | undefined {
    const request = servedRequest.getStore();
    const append = request ? request.lastAppend : this.unsynced.size > 0 || this.inFlight ? this.appendCount : 0;
    return append > this.syncedThrough ? append : undefined;
  }

  /** Whether `fd` has appends not yet fsync'd or an fsync in flight: it must stay open until then. */
  holds(fd: number): boolean {
    return this.unsynced.has(fd) || this.syncing.has(fd);
  }

  whenSynced(append: number, release: () => void): void {
    this.waiters.push({ append, release });
    this.flush();
  }

  private flush(): void {
    if (this.inFlight || this.waiters.length === 0) return;
    const through = this.appendCount;
    const fds = [...this.unsynced];
    this.unsynced.clear();
    fds.forEach((fd) => this.syncing.add(fd));
    this.inFlight = true;
    void Promise.all(fds.map((fd) => new Promise<void>((resolve) => fs.fdatasync(fd, () => resolve())))).then(() => {
      this.inFlight = false;
      this.syncing.clear();
      this.syncedThrough = through;
      const released = this.waiters.filter((w) => w.append <= through);
      this.waiters = this.waiters.filter((w) => w.append > through);
      released.forEach((w) => w.release());
      this.flush();
    });
  }
}

const commits = new GroupCommit();

/** One database's journal: `<db>.journal.<generation>` files, the highest being written. */
class Journal {
  private generation: number;
  private fd: number;
  /** Files sealed by earlier saves, closed once no fsync needs them. */
  private retired: number[] = [];

  constructor(private readonly dbFile: string) {
    this.generation = Math.max(0, ...Journal.generations(dbFile)) + 1;
    this.fd = fs.openSync(this.file(this.generation), 'a');
  }

  static generations(dbFile: string): number[] {
    const prefix = `${path.basename(dbFile)}.journal.`;
    return fs
      .readdirSync(path.dirname(dbFile))
      .filter((name) => name.startsWith(prefix))
      .map((name) => Number(name.slice(prefix.length)))
      .filter((n) => Number.isInteger(n) && n > 0)
      .sort((a, b) => a - b);
  }

  file(generation: number): string {
    return `${this.dbFile}.journal.${generation}`;
  }

  append(record: JournalRecord): void {
    fs.writeSync(this.fd, `${JSON.stringify(record)}\n`);
    commits.appended(this.fd);
  }

  /** Starts a new file for the changes after the snapshot being saved; returns the generation it covers. */
  seal(): number {
    this.retired.push(this.fd);
    const closable = this.retired.filter((fd) => !commits.holds(fd));
    closable.forEach((fd) => fs.closeSync(fd));
    this.retired = this.retired.filter((fd) => !closable.includes(fd));
    const sealed = this.generation++;
    this.fd = fs.openSync(this.file(this.generation), 'a');
    return sealed;
  }

  /** The snapshot covering `generation` is on disk: its journals are no longer needed. */
  dropThrough(generation: number): void {
    for (const n of Journal.generations(this.dbFile)) if (n <= generation) fs.rmSync(this.file(n), { force: true });
  }
}

function syncPath(file: string, then: () => void): void {
  fs.open(file, 'r', (openError, fd) => {
    if (openError) return then();
    fs.fsync(fd, () => fs.close(fd, () => then()));
  });
}

const journals = new Map<string, Journal>();
const journalOf = new WeakMap<LokiCollection, Journal>();

function journalFor(db: LokiDb): Journal | undefined {
  if (db.persistenceMethod !== 'fs' || !db.filename) return undefined;
  let journal = journals.get(db.filename);
  if (!journal) {
    journal = new Journal(db.filename);
    journals.set(db.filename, journal);
  }
  return journal;
}

function log(collection: LokiCollection, record: JournalRecord): void {
  journalOf.get(collection)?.append(record);
}

function readRecords(file: string): JournalRecord[] {
  const records: JournalRecord[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      records.push(JSON.parse(line) as JournalRecord);
    } catch {
      break; // a torn last line: the write it held was never acknowledged
    }
  }
  return records;
}

const addCollection = Loki.prototype.addCollection;
const removeCollection = Loki.prototype.removeCollection;

function replay(db: LokiDb): void {
  const touched = new Map<LokiCollection, Map<number, Doc>>();
  const docsOf = (name: string): Map<number, Doc> | undefined => {
    const collection = db.getCollection(name);
    if (!collection) return undefined;
    let docs = touched.get(collection);
    if (!docs) {
      docs = new Map(collection.data.map((doc) => [doc.$loki, doc]));
      touched.set(collection, docs);
    }
    return docs;
  };
  for (const generation of Journal.generations(db.filename)) {
    for (const record of readRecords(`${db.filename}.journal.${generation}`)) {
      if ('add' in record) {
        if (!db.getCollection(record.add)) addCollection.call(db, record.add, record.options);
      } else if ('drop' in record) {
        const collection = db.getCollection(record.drop);
        if (collection) touched.delete(collection);
        removeCollection.call(db, record.drop);
      } else if ('put' in record) docsOf(record.c)?.set(record.put.$loki, record.put);
      else if ('del' in record) record.del.forEach((id) => docsOf(record.c)?.delete(id));
      else docsOf(record.c)?.clear();
    }
  }
  for (const [collection, docs] of touched) {
    collection.data = [...docs.values()].sort((a, b) => a.$loki - b.$loki);
    collection.idIndex = collection.data.map((doc) => doc.$loki);
    collection.maxId = collection.idIndex.reduce((max, id) => Math.max(max, id), collection.maxId);
    collection.ensureAllIndexes(true);
    Object.keys(collection.constraints.unique).forEach((field) => collection.ensureUniqueIndex(field));
    collection.dirty = true;
  }
}

Loki.prototype.loadDatabase = (function wrap(load) {
  return function loadDatabaseThenReplay(this: LokiDb, options: unknown, callback?: (err?: Error | null) => void) {
    load.call(this, options, (err?: Error | null) => {
      if (!err && this.persistenceMethod === 'fs') {
        try {
          replay(this);
        } catch (replayError) {
          err = replayError as Error;
        }
        const journal = journalFor(this);
        if (journal) this.collections.forEach((collection) => journalOf.set(collection, journal));
      }
      callback?.(err);
    });
  };
})(Loki.prototype.loadDatabase);

Loki.prototype.addCollection = function addCollectionJournaled(this: LokiDb, name: string, options?: unknown) {
  const existed = this.getCollection(name) !== null;
  const collection = addCollection.call(this, name, options);
  const journal = journalFor(this);
  if (journal) {
    journalOf.set(collection, journal);
    if (!existed) journal.append({ add: name, options });
  }
  return collection;
};

Loki.prototype.removeCollection = function removeCollectionJournaled(this: LokiDb, name: string) {
  const collection = this.getCollection(name);
  removeCollection.call(this, name);
  if (collection) log(collection, { drop: name });
};

const collection = Loki.Collection.prototype;
const { insertOne, update, remove, removeBatchByPositions, clear } = collection;

collection.insertOne = function insertOneJournaled(this: LokiCollection, doc: object, bulkInsert?: boolean) {
  const inserted = insertOne.call(this, doc, bulkInsert);
  if (inserted) log(this, { c: this.name, put: inserted });
  return inserted;
};

collection.update = function updateJournaled(this: LokiCollection, doc: Doc | Doc[]) {
  const result = update.call(this, doc);
  if (!Array.isArray(doc)) log(this, { c: this.name, put: doc });
  return result;
};

collection.remove = function removeJournaled(this: LokiCollection, doc: number | Doc | Doc[]) {
  const id = typeof doc === 'number' ? doc : Array.isArray(doc) ? undefined : doc.$loki;
  const result = remove.call(this, doc);
  if (id !== undefined) log(this, { c: this.name, del: [id] });
  return result;
};

collection.removeBatchByPositions = function removeBatchJournaled(this: LokiCollection, positions: number[]) {
  const ids = positions.map((position) => this.data[position].$loki);
  const result = removeBatchByPositions.call(this, positions);
  log(this, { c: this.name, del: ids });
  return result;
};

collection.clear = function clearJournaled(this: LokiCollection, options?: unknown) {
  const result = clear.call(this, options);
  log(this, { c: this.name, clear: true });
  return result;
};

const saveDatabase = Loki.LokiFsAdapter.prototype.saveDatabase;
Loki.LokiFsAdapter.prototype.saveDatabase = function saveThenDropJournal(name, data, callback) {
  const journal = journals.get(name);
  const sealed = journal?.seal();
  saveDatabase.call(this, name, data, (err) => {
    if (err || !journal || sealed === undefined) return callback(err);
    // The snapshot and the rename that published it must reach the disk before the journal it replaces goes.
    syncPath(name, () =>
      syncPath(path.dirname(name), () => {
        journal.dropThrough(sealed);
        callback(null);
      }),
    );
  });
};

const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function emitInRequestContext(this: http.Server, event: string | symbol, ...args: unknown[]) {
  const emitted = (): boolean => emit.apply(this, [event, ...args] as Parameters<typeof emit>);
  return event === 'request' ? servedRequest.run({ lastAppend: 0 }, emitted) : emitted();
} as typeof emit;

const end = http.ServerResponse.prototype.end;
http.ServerResponse.prototype.end = function endAfterJournalSync(this: http.ServerResponse, ...args: unknown[]) {
  const append = commits.mustWait();
  if (append === undefined) return end.apply(this, args as Parameters<typeof end>);
  commits.whenSynced(append, () => end.apply(this, args as Parameters<typeof end>));
  return this;
} as typeof end;
