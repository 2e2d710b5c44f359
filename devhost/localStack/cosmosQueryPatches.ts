/**
 * In-process fixes to @zeit/cosmosdb-server's query path, which made every query cost O(documents²) over the whole
 * container: (1) the SQL compiler builds its row list with `reduce(($, c) => [...$, row], [])`, copying the list once
 * per document; the patched compiler appends in place instead (same rows, same order); (2) a query scoped to one
 * partition (the SDK's `x-ms-documentdb-partitionkey` header, or a top-level `c.<partition key> = value` filter)
 * evaluates only that partition's documents, kept per collection in insertion order so results and continuations are
 * those of the full scan; (3) a one-key ORDER BY reads each row's key once instead of twice per comparison.
 * Loaded once per process: it changes the package's prototypes.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/* eslint-disable @typescript-eslint/no-require-imports */
const transformer = require('@zeit/cosmosdb-query/lib/transformer') as { default: (ast: unknown) => unknown };
const helpers = require('@zeit/cosmosdb-query/lib/helpers') as { sort: SortRows };
const Documents = (require('@zeit/cosmosdb-server/lib/account/documents') as { default: { prototype: DocumentsLike } }).default;
/* eslint-enable @typescript-eslint/no-require-imports */

type Doc = Record<string, unknown>;
type Order = [keys: string[], descending: boolean];
type SortRows = (rows: unknown[], getRid: (row: unknown) => unknown, compositeIndexes: unknown, ...orders: Order[]) => unknown[];
interface ItemLike {
  read(): Doc | undefined;
}
interface QueryLike {
  ast: { body?: { from?: FromLike; where?: { condition: AstNode } } };
  exec(data: Doc[], options: Record<string, unknown>): unknown;
}
interface FromLike {
  source: { expression: AstNode; alias: AstNode | null };
  joins: unknown[];
}
interface AstNode {
  type: string;
  [key: string]: unknown;
}
interface QueryParams {
  query: string;
  parameters?: { name: string; value: unknown }[];
}
interface DocumentsLike {
  _parent: ItemLike & { indexingPolicy?: unknown };
  _data: Map<string, ItemLike>;
  _byPartition?: Map<unknown, Map<string, ItemLike>>;
  _set(data: Doc): Doc;
  _item(keyPath: string, value: unknown, partition: unknown): ItemLike;
  delete(idOrRid: unknown, partition: unknown): void;
  query(params: QueryParams, paging: { maxItemCount?: number; continuation?: unknown }): unknown;
  _getQuery(sql: string): QueryLike;
  _getPartition(data: Doc): unknown;
  _getPartitionKeyPath(): string[];
  _userDefinedFunctions(): unknown;
}

/** The partition-key header of the request being served, as the SDK sent it. */
export const servedPartitionHeader = new AsyncLocalStorage<string | undefined>();

type JsNode = { type: string; [key: string]: unknown };

/** `[...$, a, b]` (the compiler's accumulator copy) becomes `($.push(a, b), $)`, everywhere in the compiled tree. */
function appendInPlace(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(appendInPlace);
  if (!node || typeof node !== 'object') return node;
  const js = node as JsNode;
  for (const key of Object.keys(js)) js[key] = appendInPlace(js[key]);
  const [first, ...rest] = (js.type === 'ArrayExpression' ? js.elements : []) as JsNode[];
  const argument = first?.type === 'SpreadElement' ? (first.argument as JsNode) : undefined;
  if (argument?.type !== 'Identifier' || argument.name !== '$') return js;
  const accumulator = { type: 'Identifier', name: '$' };
  const push = { type: 'MemberExpression', object: accumulator, property: { type: 'Identifier', name: 'push' }, computed: false };
  return { type: 'SequenceExpression', expressions: [{ type: 'CallExpression', callee: push, arguments: rest }, accumulator] };
}

/** Cosmos's order across types, as the package's own comparator has it. */
const typeRank = ['undefined', 'null', 'boolean', 'number', 'string', 'array', 'object'];
const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  const [aType, bType] = [typeOf(a), typeOf(b)];
  if (aType === bType) return aType === 'object' ? 0 : (a as number) < (b as number) ? -1 : 1;
  const [aRank, bRank] = [typeRank.indexOf(aType), typeRank.indexOf(bType)];
  if (aRank < 0 && bRank < 0) return 0;
  if (aRank < 0) return 1;
  if (bRank < 0) return -1;
  return aRank < bRank ? -1 : 1;
}

function valueAt(row: unknown, keys: string[]): unknown {
  let value = row;
  for (const key of keys) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** The package's sort (stable, ties broken by rid, rows without the key dropped) with each key read once. */
function sortByOneKey(original: SortRows): SortRows {
  return (rows, getRid, compositeIndexes, ...orders) => {
    if (orders.length !== 1) return original(rows, getRid, compositeIndexes, ...orders);
    const [[keys, descending]] = orders;
    const keyed = rows.map((row) => ({ row, key: valueAt(row, keys), rid: getRid(row) }));
    keyed.sort((a, b) => {
      const byKey = compareValues(a.key, b.key);
      return byKey !== 0 ? (descending ? -byKey : byKey) : compareValues(a.rid, b.rid);
    });
    return keyed.filter((k) => typeof k.key !== 'undefined').map((k) => k.row);
  };
}

const scalar = (value: unknown): boolean => ['string', 'number', 'boolean'].includes(typeof value);

/** The partition named by the request header: a one-element JSON array of a scalar, else none. */
function headerPartition(header: string | undefined): { value: unknown } | undefined {
  if (!header) return undefined;
  try {
    const parsed = JSON.parse(header) as unknown;
    return Array.isArray(parsed) && parsed.length === 1 && scalar(parsed[0]) ? { value: parsed[0] } : undefined;
  } catch {
    return undefined;
  }
}

function conjuncts(node: AstNode): AstNode[] {
  return node.type === 'scalar_binary_expression' && node.operator === 'AND'
    ? [...conjuncts(node.left as AstNode), ...conjuncts(node.right as AstNode)]
    : [node];
}

/** `alias.a.b` as ['a', 'b'] when the member chain starts at the query's alias. */
function memberPath(node: AstNode, alias: string): string[] | undefined {
  if (node.type !== 'scalar_member_expression' || node.computed) return undefined;
  const object = node.object as AstNode;
  const property = (node.property as AstNode).name as string;
  if (object.type === 'identifier') return object.name === alias ? [property] : undefined;
  const parent = memberPath(object, alias);
  return parent ? [...parent, property] : undefined;
}

function constant(node: AstNode, params: QueryParams): { value: unknown } | undefined {
  if (node.type === 'parameter_name') {
    const found = params.parameters?.find((p) => p.name === node.name);
    return found && scalar(found.value) ? { value: found.value } : undefined;
  }
  if (['string_constant', 'number_constant', 'boolean_constant'].includes(node.type)) return { value: node.value };
  return undefined;
}

/** The partition a top-level `alias.<key path> = constant` conjunct pins, on a plain `FROM alias` without joins. */
function filterPartition(query: QueryLike, keyPath: string[], params: QueryParams): { value: unknown } | undefined {
  const { from, where } = query.ast.body ?? {};
  if (!from || !where || from.joins.length > 0 || from.source.expression.type !== 'collection_expression') return undefined;
  const root = from.source.expression.expression as AstNode;
  if (root.type !== 'identifier') return undefined;
  const alias = (from.source.alias?.name as string | undefined) ?? (root.name as string);
  for (const term of conjuncts(where.condition)) {
    if (term.type !== 'scalar_binary_expression' || term.operator !== '=') continue;
    for (const [member, other] of [
      [term.left, term.right],
      [term.right, term.left],
    ] as AstNode[][]) {
      const path = memberPath(member, alias);
      if (path && path.join('/') === keyPath.join('/')) {
        const found = constant(other, params);
        if (found) return found;
      }
    }
  }
  return undefined;
}

function partitionMap(docs: DocumentsLike): Map<unknown, Map<string, ItemLike>> {
  docs._byPartition ??= new Map();
  return docs._byPartition;
}

let installed = false;

export function installCosmosQueryPatches(): void {
  if (installed) return;
  installed = true;
  const compile = transformer.default;
  transformer.default = (ast: unknown) => {
    return appendInPlace(compile(ast));
  };
  helpers.sort = sortByOneKey(helpers.sort);

  const proto = Documents.prototype;
  // Looked up at each call: the journal hooks the base class's methods too, whichever patch loads first.
  const base = Object.getPrototypeOf(proto) as DocumentsLike;
  proto._set = function (this: DocumentsLike, data: Doc) {
    const result = base._set.call(this, data);
    const partition = this._getPartition(data);
    const map = partitionMap(this);
    if (!map.has(partition)) map.set(partition, new Map());
    map.get(partition)!.set(String(data._rid), this._data.get(String(data._rid))!);
    return result;
  };
  proto.delete = function (this: DocumentsLike, idOrRid: unknown, partition: unknown) {
    const data = this._item('/id', idOrRid, partition).read();
    base.delete.call(this, idOrRid, partition);
    if (data) partitionMap(this).get(this._getPartition(data))?.delete(String(data._rid));
  };
  proto.query = function (this: DocumentsLike, params: QueryParams, { maxItemCount, continuation }) {
    const parent = this._parent.read();
    if (!parent) return null;
    const q = this._getQuery(params.query);
    const scope = headerPartition(servedPartitionHeader.getStore()) ?? filterPartition(q, this._getPartitionKeyPath(), params);
    const items = scope ? (partitionMap(this).get(scope.value)?.values() ?? []) : this._data.values();
    const data = [...items].map((item) => item.read()) as Doc[];
    const policy = parent.indexingPolicy as { compositeIndexes?: unknown } | undefined;
    try {
      return q.exec(data, {
        parameters: params.parameters,
        udf: this._userDefinedFunctions(),
        maxItemCount,
        continuation,
        compositeIndexes: policy?.compositeIndexes ?? [],
      });
    } catch (err) {
      Object.assign(err as object, { badRequest: true });
      throw err;
    }
  };
}
