import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { repoRoot } from '../support/canopyUnderTest';

/**
 * What can be checked of scoring/Dockerfile without a Docker engine: the files it copies exist after
 * `npm run build:scoring` and get past its .dockerignore, the entry point is among them, it installs the scorer's own
 * package (scoring/package.json and its lock: exactly the packages the compiled scorer requires, at the versions the
 * app's lock pins), and it runs as non-root on 8080.
 */
const dockerfile = fs.readFileSync(path.join(repoRoot, 'scoring', 'Dockerfile'), 'utf8');
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'))
  .map((line) => {
    const [keyword, ...rest] = line.split(/\s+/);
    return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
  });
const argsOf = (keyword: string): string[] => instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
const distScoring = path.join(repoRoot, 'dist', 'scoring');
const scoringDir = path.join(repoRoot, 'scoring');
/** The scorer's package files, copied into the image before its install. */
const packageFiles = ['scoring/package.json', 'scoring/package-lock.json', 'scoring/.npmrc'];

interface Lock {
  packages: Record<string, { version: string; dependencies?: Record<string, string>; dev?: boolean }>;
}
const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;

/** Packages the compiled scorer requires: everything that is neither relative nor a Node built-in. */
function requiredPackages(): string[] {
  const names = new Set<string>();
  for (const file of fs.readdirSync(distScoring).filter((f) => f.endsWith('.js'))) {
    for (const [, request] of fs.readFileSync(path.join(distScoring, file), 'utf8').matchAll(/require\("([^"]+)"\)/g)) {
      if (request.startsWith('.') || request.startsWith('node:') || builtinModules.includes(request)) continue;
      names.add(request.startsWith('@') ? request.split('/').slice(0, 2).join('/') : request.split('/')[0]);
    }
  }
  return [...names].sort();
}

describe('scoring/Dockerfile (checked offline)', () => {
  beforeAll(() => {
    if (!fs.existsSync(path.join(distScoring, 'main.js')))
      throw new Error('dist/scoring/main.js is missing: run `npm run build:scoring` first');
  });

  it('copies only sources that exist after the build, past its .dockerignore, and runs an entry point among them', () => {
    const copies = argsOf('COPY').map((args) => args.split(/\s+/));
    expect(copies.length).toBeGreaterThan(0);
    const ignore = fs.readFileSync(path.join(repoRoot, 'scoring', 'Dockerfile.dockerignore'), 'utf8');
    expect(ignore.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual([
      '*',
      '!dist/scoring/*.js',
      ...packageFiles.map((f) => `!${f}`),
    ]);
    const [packageCopy, ...scorerCopies] = copies;
    expect(packageCopy).toEqual([...packageFiles, './']);
    for (const file of packageFiles) expect(fs.existsSync(path.join(repoRoot, file))).toBe(true);
    const workdir = argsOf('WORKDIR').at(-1) as string;
    const imageFiles = new Set<string>();
    for (const [source, destination] of scorerCopies) {
      expect(fs.existsSync(path.join(repoRoot, source))).toBe(true);
      expect(source.replace(/\/$/, '')).toBe('dist/scoring');
      for (const file of fs.readdirSync(path.join(repoRoot, source)).filter((f) => f.endsWith('.js')))
        imageFiles.add(path.posix.join(workdir, destination, file));
    }
    // Every source file of the scorer is compiled into what is copied.
    for (const source of fs.readdirSync(path.join(repoRoot, 'scoring')).filter((f) => f.endsWith('.ts')))
      expect(imageFiles).toContain(path.posix.join(workdir, 'scoring', source.replace(/\.ts$/, '.js')));
    const command = JSON.parse(argsOf('CMD').at(-1) as string) as string[];
    expect(command[0]).toBe('node');
    expect(imageFiles).toContain(path.posix.join(workdir, command[1]));
  });

  it("installs the scorer's package from its lock: exactly the packages the scorer requires, at the app's locked versions", () => {
    const installs = argsOf('RUN').filter((args) => /\bnpm (install|ci|i)\b/.test(args));
    expect(installs).toHaveLength(1);
    expect(installs[0]).toMatch(/^npm ci --omit=dev\b/);
    // No package named by hand: the versions come from the lock alone.
    expect(installs[0]).not.toMatch(/@\d/);
    expect(fs.readFileSync(path.join(scoringDir, '.npmrc'), 'utf8')).toMatch(/^onnxruntime-node-install=skip$/m);

    const manifest = readJson<{ dependencies: Record<string, string>; devDependencies?: unknown }>(path.join(scoringDir, 'package.json'));
    expect(Object.keys(manifest.dependencies).sort()).toEqual(requiredPackages());
    expect(manifest.devDependencies).toBeUndefined();
    const scorerLock = readJson<Lock>(path.join(scoringDir, 'package-lock.json'));
    expect(scorerLock.packages[''].dependencies).toEqual(manifest.dependencies);
    const appLock = readJson<Lock>(path.join(repoRoot, 'package-lock.json'));
    for (const [name, version] of Object.entries(manifest.dependencies)) {
      expect([name, version]).toEqual([name, appLock.packages[`node_modules/${name}`].version]);
      expect([name, scorerLock.packages[`node_modules/${name}`].version]).toEqual([name, version]);
    }
    // Every package the image installs is one the app's lock holds at the same version (what the tests ran against).
    const appVersions = new Set(
      Object.entries(appLock.packages).map(([key, entry]) => `${key.replace(/^.*node_modules\//, '')}@${entry.version}`),
    );
    for (const [key, entry] of Object.entries(scorerLock.packages).filter(([key]) => key !== '')) {
      expect(entry.dev).toBeUndefined();
      expect(appVersions).toContain(`${key.replace(/^.*node_modules\//, '')}@${entry.version}`);
    }
  });

  it('runs as a non-root user on port 8080 from a slim Node 20 base, with a /health probe and SIGTERM to stop', () => {
    expect(argsOf('FROM')).toEqual(['node:20-slim']);
    const user = argsOf('USER').at(-1);
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(argsOf('EXPOSE')).toEqual(['8080']);
    expect(argsOf('ENV')).toContain('SCORER_PORT=8080');
    expect(argsOf('HEALTHCHECK').join(' ')).toContain('http://127.0.0.1:8080/health');
    expect(argsOf('STOPSIGNAL')).toEqual(['SIGTERM']);
  });
});
