import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface HostKeys {
  masterKey: string;
  functionKeys: Record<string, string>;
}

function newKey(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Host keys kept in the devhost's local state (the Functions host keeps them in its secrets
 * store): created once, then stable across restarts so clients keep working.
 */
export function loadOrCreateKeys(stateDir: string): HostKeys {
  const file = path.join(stateDir, 'secrets', 'host.json');
  if (fs.existsSync(file)) {
    const keys = JSON.parse(fs.readFileSync(file, 'utf8')) as HostKeys;
    if (typeof keys.masterKey === 'string' && keys.functionKeys && typeof keys.functionKeys === 'object') return keys;
  }
  const keys: HostKeys = { masterKey: newKey(), functionKeys: { default: newKey() } };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(keys, null, 2), { mode: 0o600 });
  return keys;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function isAuthorized(keys: HostKeys, level: 'anonymous' | 'function' | 'admin', presented: string | undefined): boolean {
  if (level === 'anonymous') return true;
  if (!presented) return false;
  if (same(presented, keys.masterKey)) return true;
  return level === 'function' && Object.values(keys.functionKeys).some((k) => same(presented, k));
}
