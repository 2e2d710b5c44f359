// Azure Table keys may not contain / \ # ? or control characters; instance ids may.

export function partitionKeyOf(instanceId: string): string {
  return instanceId.replace(/[%/\\#?\u0000-\u001f\u007f-\u009f]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
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
