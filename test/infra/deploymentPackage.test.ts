import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import ignore, { Ignore } from 'ignore';
import { repoRoot } from './support/armTemplate';

/**
 * The Function App package as azd makes it: `npm run build` (tsconfig.json) in the service folder (`project: .`), then
 * the folder's files filtered by `.funcignore` (gitignore syntax; an ignored folder is not descended into). The build
 * goes to a temporary dist/, next to stand-ins for what a developer's `npm run build:tools` leaves there, and the rest
 * of the folder is the repository as it is on disk (node_modules is listed, not walked).
 */
const appBuildTimeoutMs = 240_000;

/** Files of `root` that `rules` keep, as posix paths, with `distDir` as the folder's dist/ (whether or not `root` has one). */
function packageFiles(rules: Ignore, root: string, distDir: string): string[] {
  const kept: string[] = [];
  const visit = (absolute: string, relPath: string, isDir: boolean): void => {
    if (rules.ignores(isDir ? `${relPath}/` : relPath)) return;
    if (!isDir) kept.push(relPath);
    else if (relPath === 'node_modules') kept.push('node_modules/');
    else
      for (const entry of fs.readdirSync(absolute))
        visit(path.join(absolute, entry), `${relPath}/${entry}`, isDirectory(path.join(absolute, entry)));
  };
  for (const entry of fs.readdirSync(root).filter((name) => name !== 'dist'))
    visit(path.join(root, entry), entry, isDirectory(path.join(root, entry)));
  visit(distDir, 'dist', true);
  return kept.sort();
}

const isDirectory = (file: string): boolean => fs.statSync(file).isDirectory();

/** Packages (not relative, not built-in) the compiled files under `dir` require. */
function requiredPackages(dir: string): string[] {
  const names = new Set<string>();
  for (const file of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'))) {
    for (const [, request] of fs.readFileSync(path.join(dir, file), 'utf8').matchAll(/require\("([^"]+)"\)/g)) {
      if (request.startsWith('.') || request.startsWith('node:') || builtinModules.includes(request)) continue;
      names.add(request.startsWith('@') ? request.split('/').slice(0, 2).join('/') : request.split('/')[0]);
    }
  }
  return [...names].sort();
}

/** Stand-ins for the dashboard's bundle (esbuild's `[name]-[hash]` names). */
const dashboardFiles = ['dashboard/index.html', 'dashboard/app-5JWZ3A2K.js', 'dashboard/styles-QH6Z2T4M.css'];

describe('the deployment package (azd deploy of the Function App)', () => {
  let buildDir: string;
  /** What `npm run build` put in dist/. */
  let built: string[];
  let files: string[];

  beforeAll(() => {
    buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-package-'));
    const distDir = path.join(buildDir, 'dist');
    const build = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json', '--outDir', distDir], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    if (build.status !== 0) throw new Error(`npm run build (tsc -p tsconfig.json) failed:\n${build.stdout}${build.stderr}`);
    built = fs.readdirSync(distDir).sort();
    // What the dashboard's bundling (the rest of `npm run build`) puts in dist/dashboard: the app serves it.
    for (const bundled of dashboardFiles) {
      fs.mkdirSync(path.dirname(path.join(distDir, bundled)), { recursive: true });
      fs.writeFileSync(path.join(distDir, bundled), '');
    }
    // What the tools build puts next to the app in dist/: it must not ride along.
    for (const standIn of ['devhost/main.js', 'devhost/azureFakes/arm/armFake.js', 'scoring/main.js']) {
      fs.mkdirSync(path.dirname(path.join(distDir, standIn)), { recursive: true });
      fs.writeFileSync(path.join(distDir, standIn), '');
    }
    const rules = ignore().add(fs.readFileSync(path.join(repoRoot, '.funcignore'), 'utf8'));
    files = packageFiles(rules, repoRoot, distDir);
  }, appBuildTimeoutMs);

  afterAll(() => fs.rmSync(buildDir, { recursive: true, force: true }));

  it('npm run build compiles the app alone: functions, orchestrations and shared', () => {
    expect(built).toEqual(['functions', 'orchestrations', 'package.json', 'shared']);
    const sources = fs.readdirSync(path.join(repoRoot, 'functions')).filter((f) => f.endsWith('.ts'));
    for (const source of sources) expect(files).toContain(`dist/functions/${source.replace(/\.ts$/, '.js')}`);
  });

  it('holds host.json, package.json, the compiled app, node_modules and the job scripts the HDInsight adapter uploads', () => {
    expect(files).toEqual(
      expect.arrayContaining(['host.json', 'package.json', 'node_modules/', 'dist/package.json', 'dist/shared/config.js']),
    );
    expect(files.some((f) => f.startsWith('dist/orchestrations/') && f.endsWith('.js'))).toBe(true);
    // hdinsightJobBundle reads jobs/*.py and jobs/canopy_jobs/*.py at run time.
    const jobsDir = path.join(repoRoot, 'jobs');
    const jobScripts = [
      ...fs.readdirSync(jobsDir).filter((f) => f.endsWith('.py')),
      ...fs
        .readdirSync(path.join(jobsDir, 'canopy_jobs'))
        .filter((f) => f.endsWith('.py'))
        .map((f) => `canopy_jobs/${f}`),
    ];
    expect(jobScripts.length).toBeGreaterThan(1);
    for (const script of jobScripts) expect(files).toContain(`jobs/${script}`);
  });

  it("holds the dashboard's built files, which the app serves itself", () => {
    for (const bundled of dashboardFiles) expect(files).toContain(`dist/${bundled}`);
  });

  it('holds nothing but the app: no devhost, Durable engine, Azure fakes, model server, sources, tests, benchmarks or tooling', () => {
    const topLevel = [...new Set(files.map((f) => f.split('/')[0] + (f.includes('/') ? '/' : '')))].sort();
    expect(topLevel).toEqual(['dist/', 'host.json', 'jobs/', 'node_modules/', 'package-lock.json', 'package.json']);
    const strays = files.filter(
      (f) =>
        /(^|\/)(devhost|azureFakes|test|tests|bench|scoring|scripts|infra|\.canopy|\.venv|__pycache__)(\/|$)/.test(f) ||
        /\.ts$|(^|\/)local\.settings\.json$/.test(f),
    );
    expect(strays).toEqual([]);
  });

  it("the app's production dependencies are exactly the packages its compiled code requires", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies).sort()).toEqual(requiredPackages(path.join(buildDir, 'dist')));
  });
});
