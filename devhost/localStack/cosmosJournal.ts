/**
 * The Cosmos emulator's persistence: a snapshot (`cosmos.json`) plus a write-ahead journal of the databases,
 * containers and documents changed since (`cosmos.journal.<generation>`, one JSON record a line). A write's records
 * are appended when its handler returns and its response waits until they are fdatasync'd; one fdatasync serves every
 * response waiting at the time. So a write costs its own bytes, not the database's, and an acknowledged write
 * survives a crash. Compaction (when the journal grows past a bound, and at close) writes a snapshot of the next
 * generation atomically, then starts that generation's journal and deletes the older ones: a start replays only
 * journals of the snapshot's generation or later, never a change twice.
 */
import fs from 'node:fs';
import path from 'node:path';

/* eslint-disable @typescript-eslint/no-require-imports */
const Items = (require('@zeit/cosmosdb-server/lib/account/items') as { default: { prototype: ItemsLike<ItemLike> } }).default;
const Databases = (require('@zeit/cosmosdb-server/lib/account/databases') as { default: new (...args: never[]) => unknown }).default;
const Collections = (require('@zeit/cosmosdb-server/lib/account/collections') as { default: new (...args: never[]) => unknown }).default;
const Documents = (require('@zeit/cosmosdb-server/lib/account/documents') as { default: new (...args: never[]) => unknown }).default;
/* eslint-enable @typescript-eslint/no-require-imports */

type Doc = Record<string, unknown>;
interface ItemLike<T = Doc> {
  read(): T | undefined;
}
interface ItemsLike<I> {
  _parent: ItemLike;
  _data: Map<string, I>;
  _ridCount: number;
  _set(data: Doc): unknown;
  _item(keyPath: string, value: unknown, partition: unknown): ItemLike;
  _getPartition(data: Doc): unknown;
  delete(idOrRid: unknown, partition: unknown): void;
}
interface CollectionLike extends ItemLike {
  documents: ItemsLike<ItemLike>;
}
interface DatabaseLike extends ItemLike {
  collections: ItemsLike<CollectionLike>;
}
export interface AccountLike {
  databases: ItemsLike<DatabaseLike>;
}

interface Snapshot {
  version: 1;
  /** Journals of this generation and later hold the changes made after this snapshot. */
  generation?: number;
  databaseRidCount: number;
  databases: {
    data: Doc;
    collectionRidCount: number;
    collections: { data: Doc; documentRidCount: number; documents: Doc[] }[];
  }[];
}

type Level = 'db' | 'coll' | 'doc';
/** `in`: the parent's rid (a collection's database, a document's collection); `rc`: the rid counter after the change. */
type JournalRecord = { level: Level; in?: string; put: Doc; rc: number } | { level: Level; in?: string; del: string };

function readAll<I extends ItemLike>(items: ItemsLike<I>): { item: I; data: Doc }[] {
  return [...items._data.values()].flatMap((item) => {
    const data = item.read();
    return data ? [{ item, data }] : [];
  });
}

function snapshotAccount(account: AccountLike, generation: number): Snapshot {
  return {
    version: 1,
    generation,
    databaseRidCount: account.databases._ridCount,
    databases: readAll(account.databases).map(({ item: db, data }) => ({
      data,
      collectionRidCount: db.collections._ridCount,
      collections: readAll(db.collections).map(({ item: coll, data: collData }) => ({
        data: collData,
        documentRidCount: coll.documents._ridCount,
        documents: readAll(coll.documents).map((d) => d.data),
      })),
    })),
  };
}

/** Rebuilds databases, containers and documents with their original ids, rids and etags. */
function restoreAccount(account: AccountLike, snapshot: Snapshot): void {
  account.databases._ridCount = snapshot.databaseRidCount;
  for (const db of snapshot.databases) {
    account.databases._set(db.data);
    const database = account.databases._data.get(String(db.data._rid));
    if (!database) continue;
    database.collections._ridCount = db.collectionRidCount;
    for (const coll of db.collections) {
      database.collections._set(coll.data);
      const collection = database.collections._data.get(String(coll.data._rid));
      if (!collection) continue;
      collection.documents._ridCount = coll.documentRidCount;
      coll.documents.forEach((doc) => collection.documents._set(doc));
    }
  }
}

function levelOf(items: ItemsLike<ItemLike>): Level | undefined {
  if (items instanceof Documents) return 'doc';
  if (items instanceof Collections) return 'coll';
  if (items instanceof Databases) return 'db';
  return undefined;
}

/** The account whose changes are being journaled; the package's prototypes report to it. */
let recording: ((items: ItemsLike<ItemLike>, record: (level: Level, parent?: string) => JournalRecord) => void) | undefined;

let hooked = false;
function hookItems(): void {
  if (hooked) return;
  hooked = true;
  const proto = Items.prototype;
  const set = proto._set;
  const remove = proto.delete;
  proto._set = function (this: ItemsLike<ItemLike>, data: Doc) {
    const result = set.call(this, data);
    recording?.(this, (level, parent) => ({ level, in: parent, put: data, rc: this._ridCount }));
    return result;
  };
  proto.delete = function (this: ItemsLike<ItemLike>, idOrRid: unknown, partition: unknown) {
    const data = this._item('/id', idOrRid, partition).read();
    remove.call(this, idOrRid, partition);
    if (data) recording?.(this, (level, parent) => ({ level, in: parent, del: String(data._rid) }));
  };
}

function itemsFor(account: AccountLike, record: JournalRecord): ItemsLike<ItemLike> | undefined {
  if (record.level === 'db') return account.databases;
  const databases = [...account.databases._data.values()];
  if (record.level === 'coll') return databases.find((db) => db.read()?._rid === record.in)?.collections;
  for (const db of databases) {
    const collection = db.collections._data.get(String(record.in));
    if (collection) return collection.documents;
  }
  return undefined;
}

function replay(account: AccountLike, record: JournalRecord): void {
  const items = itemsFor(account, record);
  if (!items) return;
  if ('put' in record) {
    items._set(record.put);
    items._ridCount = Math.max(items._ridCount, record.rc);
    return;
  }
  const data = items._data.get(record.del)?.read();
  if (data) items.delete(data.id, items._getPartition(data));
}

const journalPattern = /^cosmos\.journal\.(\d+)$/;

export interface CosmosPersistence {
  /** Appends the changes made since the last call and resolves once they are on disk. */
  commit(): Promise<void>;
  /** Compacts when the journal has grown past its bound and no fdatasync is in flight. */
  compactIfLarge(): void;
  /** Waits for an fdatasync in flight, compacts and stops journaling. */
  close(): Promise<void>;
}

/** Loads `dataDir` into `account` (snapshot, then journals) and journals the account's changes from now on. */
export function openCosmosPersistence(account: AccountLike, dataDir: string, opts: { compactBytes?: number } = {}): CosmosPersistence {
  hookItems();
  const compactBytes = opts.compactBytes ?? 64 * 1024 * 1024;
  const snapshotFile = path.join(dataDir, 'cosmos.json');
  const snapshot = fs.existsSync(snapshotFile) ? (JSON.parse(fs.readFileSync(snapshotFile, 'utf8')) as Snapshot) : undefined;
  if (snapshot) restoreAccount(account, snapshot);
  const journals = fs
    .readdirSync(dataDir)
    .flatMap((name) => {
      const match = journalPattern.exec(name);
      return match ? [{ name, generation: Number(match[1]) }] : [];
    })
    .sort((a, b) => a.generation - b.generation);
  for (const journal of journals.filter((j) => j.generation >= (snapshot?.generation ?? 0))) {
    // A crash can cut the last line short: that write was never acknowledged.
    const lines = fs.readFileSync(path.join(dataDir, journal.name), 'utf8').split('\n');
    for (const line of lines.filter(Boolean)) {
      let record: JournalRecord;
      try {
        record = JSON.parse(line) as JournalRecord;
      } catch {
        break;
      }
      replay(account, record);
    }
  }

  let generation = Math.max(snapshot?.generation ?? 0, ...journals.map((j) => j.generation));
  let fd = -1;
  let journalBytes = 0;
  let pending: string[] = [];
  let appended = 0;
  let synced = 0;
  let syncing: Promise<void> | undefined;

  const writeSnapshot = (): void => {
    const temp = `${snapshotFile}.${process.pid}.tmp`;
    const out = fs.openSync(temp, 'w');
    try {
      fs.writeSync(out, JSON.stringify(snapshotAccount(account, generation)));
      fs.fdatasyncSync(out);
    } finally {
      fs.closeSync(out);
    }
    fs.renameSync(temp, snapshotFile);
    const dir = fs.openSync(dataDir, 'r');
    try {
      fs.fsyncSync(dir);
    } finally {
      fs.closeSync(dir);
    }
  };

  /** Everything in memory (pending changes included) becomes the next generation's snapshot; its journal starts empty. */
  const compact = (): void => {
    pending = [];
    generation += 1;
    writeSnapshot();
    if (fd >= 0) fs.closeSync(fd);
    fd = fs.openSync(path.join(dataDir, `cosmos.journal.${generation}`), 'a');
    journalBytes = 0;
    synced = appended;
    for (const name of fs.readdirSync(dataDir)) {
      const match = journalPattern.exec(name);
      if (match && Number(match[1]) < generation) fs.rmSync(path.join(dataDir, name), { force: true });
    }
  };

  compact();
  recording = (items, record) => {
    const level = levelOf(items);
    if (!level) return;
    const parent = level === 'db' ? undefined : String(items._parent.read()?._rid);
    pending.push(JSON.stringify(record(level, parent)));
  };

  const append = (): number => {
    if (pending.length > 0) {
      const text = `${pending.join('\n')}\n`;
      pending = [];
      fs.writeSync(fd, text);
      journalBytes += Buffer.byteLength(text);
      appended += 1;
    }
    return appended;
  };

  const sync = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const through = appended;
      fs.fdatasync(fd, (err) => {
        syncing = undefined;
        if (err) reject(err);
        else {
          synced = Math.max(synced, through);
          resolve();
        }
      });
    });

  return {
    async commit() {
      const mine = append();
      while (synced < mine) {
        syncing ??= sync();
        await syncing;
      }
    },
    compactIfLarge() {
      if (journalBytes < compactBytes || syncing) return;
      compact();
    },
    async close() {
      recording = undefined;
      await syncing;
      compact();
      fs.closeSync(fd);
      fd = -1;
    },
  };
}
