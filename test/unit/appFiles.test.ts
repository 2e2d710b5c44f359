import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseFunctionTimeoutMs, readHostJson, readLocalSettings, resolveEntryFiles } from '../../devhost/appFiles';

function appDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-app-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

describe('app files', () => {
  it('resolves a main glob to sorted entry files', () => {
    const dir = appDir({
      'package.json': JSON.stringify({ main: 'dist/{functions,orchestrations}/**/*.js' }),
      'dist/functions/b.js': '',
      'dist/functions/a.js': '',
      'dist/orchestrations/x/y.js': '',
      'dist/shared/z.js': '',
    });
    expect(resolveEntryFiles(dir).map((f) => path.relative(dir, f))).toEqual([
      'dist/functions/a.js',
      'dist/functions/b.js',
      'dist/orchestrations/x/y.js',
    ]);
  });

  it('says when main matches nothing or is missing', () => {
    expect(() => resolveEntryFiles(appDir({ 'package.json': JSON.stringify({ main: 'dist/*.js' }) }))).toThrow(
      /matches no file.*did you run the build/,
    );
    expect(() => resolveEntryFiles(appDir({ 'package.json': '{}' }))).toThrow(/no "main"/);
  });

  it('validates host.json and reads local.settings.json Values as strings', () => {
    expect(() => readHostJson(appDir({ 'host.json': '{"version":"1.0"}' }))).toThrow(/"version" must be "2.0"/);
    expect(() => readHostJson(appDir({ 'host.json': '{oops' }))).toThrow(/not valid JSON/);
    expect(() => readHostJson(appDir({}))).toThrow(/No host.json/);
    expect(readLocalSettings(appDir({ 'local.settings.json': JSON.stringify({ Values: { A: 'x', N: 3 } }) }))).toEqual({ A: 'x', N: '3' });
    expect(readLocalSettings(appDir({}))).toEqual({});
  });

  it('parses functionTimeout time spans', () => {
    expect(parseFunctionTimeoutMs('00:05:00')).toBe(300_000);
    expect(parseFunctionTimeoutMs('1.02:00:00')).toBe(93_600_000);
    expect(parseFunctionTimeoutMs('00:00:01.5')).toBe(1500);
    expect(parseFunctionTimeoutMs('-1')).toBeUndefined();
    expect(() => parseFunctionTimeoutMs('5 minutes')).toThrow(/time span/);
  });
});
