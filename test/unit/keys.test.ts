import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isAuthorized, loadOrCreateKeys } from '../../devhost/keys';

describe('host keys', () => {
  it('creates keys once and keeps them', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-keys-'));
    const first = loadOrCreateKeys(dir);
    expect(first.masterKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(loadOrCreateKeys(dir)).toEqual(first);
    expect(fs.statSync(path.join(dir, 'secrets', 'host.json')).mode & 0o777).toBe(0o600);
  });

  it('lets the master key through everywhere and function keys only to function level', () => {
    const keys = { masterKey: 'm', functionKeys: { default: 'f' } };
    expect(isAuthorized(keys, 'anonymous', undefined)).toBe(true);
    expect(isAuthorized(keys, 'function', 'f')).toBe(true);
    expect(isAuthorized(keys, 'function', 'm')).toBe(true);
    expect(isAuthorized(keys, 'function', undefined)).toBe(false);
    expect(isAuthorized(keys, 'admin', 'f')).toBe(false);
    expect(isAuthorized(keys, 'admin', 'm')).toBe(true);
    expect(isAuthorized(keys, 'function', 'ff')).toBe(false);
  });
});
