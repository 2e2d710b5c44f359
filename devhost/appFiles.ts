import fs from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';

export interface HostJson {
  version?: string;
  functionTimeout?: string;
  logging?: { logLevel?: Record<string, string> };
  extensions?: {
    http?: { routePrefix?: string };
    durableTask?: Record<string, unknown>;
    [name: string]: unknown;
  };
  [key: string]: unknown;
}

export class AppConfigError extends Error {
  readonly code = 'DEVHOST.APP_CONFIG';
}

function readJson<T>(file: string, what: string): T | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (err) {
    throw new AppConfigError(`${what} (${file}) is not valid JSON: ${(err as Error).message}`);
  }
}

export function readHostJson(appDir: string): HostJson {
  const host = readJson<HostJson>(path.join(appDir, 'host.json'), 'host.json');
  if (!host) throw new AppConfigError(`No host.json in ${appDir}: not a Functions app folder.`);
  if (host.version !== '2.0') throw new AppConfigError(`host.json "version" must be "2.0" (found ${JSON.stringify(host.version)}).`);
  return host;
}

/** `local.settings.json` `Values`, which `func start` puts into the environment of the worker. */
export function readLocalSettings(appDir: string): Record<string, string> {
  const settings = readJson<{ Values?: Record<string, unknown> }>(path.join(appDir, 'local.settings.json'), 'local.settings.json');
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(settings?.Values ?? {})) {
    values[key] = String(value);
  }
  return values;
}

/** The entry files `package.json` `main` names; a glob as the v4 worker accepts it. */
export function resolveEntryFiles(appDir: string): string[] {
  const pkg = readJson<{ main?: string }>(path.join(appDir, 'package.json'), 'package.json');
  if (!pkg?.main) throw new AppConfigError(`package.json in ${appDir} has no "main" naming the app's entry files.`);
  const files = fg.sync(pkg.main, { cwd: appDir, absolute: true, onlyFiles: true }).sort();
  if (files.length === 0) {
    throw new AppConfigError(`package.json "main" (${pkg.main}) matches no file in ${appDir}; did you run the build?`);
  }
  return files;
}

/** host.json `functionTimeout` ("hh:mm:ss"); -1 means no limit. */
export function parseFunctionTimeoutMs(value: string | undefined): number | undefined {
  if (value === undefined || value === '-1') return undefined;
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(value);
  if (!match) throw new AppConfigError(`host.json "functionTimeout" ${JSON.stringify(value)} is not a [d.]hh:mm:ss time span.`);
  const [, days, h, m, s, frac] = match;
  const seconds = Number(days ?? 0) * 86400 + Number(h) * 3600 + Number(m) * 60 + Number(s);
  return seconds * 1000 + (frac ? Math.round(Number(`0.${frac}`) * 1000) : 0);
}
