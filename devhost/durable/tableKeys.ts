// Azure Table keys may not contain / \ # ? or control characters; instance ids may.

function isForbidden(c: string): boolean {
  const code = c.charCodeAt(0);
  return c === '%' || c === '/' || c === '\\' || c === '#' || c === '?' || code < 0x20 || (code >= 0x7f && code <= 0x9f);
}

export function partitionKeyOf(instanceId: string): string {
  let key = '';
  for (const c of instanceId) key += isForbidden(c) ? `%${c.charCodeAt(0).toString(16).padStart(2, '0')}` : c;
  return key;
}

export function instanceIdOf(partitionKey: string): string {
  return partitionKey.replace(/%([0-9a-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

export const metaRowKey = 'meta';

export function historyRowKey(generation: number, chunk: number): string {
  return `h${String(generation).padStart(6, '0')}-${String(chunk).padStart(8, '0')}`;
}

export function historyRowPrefix(generation: number): string {
  return `h${String(generation).padStart(6, '0')}-`;
}

let lastStamp = 0;
let sequence = 0;

/** Inbox rows sort in arrival order: a millisecond stamp and a per-process sequence. */
export function inboxRowKey(now = Date.now()): string {
  if (now > lastStamp) {
    lastStamp = now;
    sequence = 0;
  }
  sequence++;
  return `q${String(lastStamp).padStart(15, '0')}-${String(sequence).padStart(8, '0')}`;
}

export const inboxRowPrefix = 'q';
