import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureJobsEnvironment, fashionSample, repoRoot } from './canopyUnderTest';

/**
 * Real, small model packages made by the Spark jobs themselves, for tests of anything that loads one
 * (the model server, the scoring function, batch scoring):
 *
 *   const image = imageModelPackage();      // 28×28 greyscale Fashion-MNIST, 10 labels, ~50 s the first time
 *   new ScoringServer({ ..., load: () => loadModelPackage(image.packageDir) });
 *   await uploadFolder('models', 'fashion/1', image.packageDir);   // the same package from Azurite
 *
 *   const tabular = tabularModelPackage();  // server-workload low/medium/high, ~60 s the first time
 *
 * Each is built once per machine under os.tmpdir(), keyed by a hash of the job code, the featurizer and
 * the settings, so a change to the jobs rebuilds it and every later call is instant. Builds go to a
 * private folder that is renamed into place, so test files running at the same time never see half a
 * package (two may build at once; one rename wins). The calls are synchronous (call them in beforeAll).
 */
export interface TrainedModelPackage {
  /** The job's whole output: metrics.json, model/, spark-model/, _SUCCESS. */
  runDir: string;
  /** The package the scorer loads: manifest.json, model.onnx (and head.onnx for images). */
  packageDir: string;
}

export interface ImageModelPackage extends TrainedModelPackage {
  /** The images it was trained on, in the walkthrough's layout: train/<label>/*.png and test/<label>/*.png (28×28 greyscale). */
  imagesDir: string;
}

export interface TabularModelPackage extends TrainedModelPackage {
  /** The generated session CSV (16 header-less columns) it was trained on. */
  sessionsCsv: string;
  /** workload_etl's output for that CSV: features/ has one row per server period with the model's inputs. */
  etlDir: string;
}

const jobsDir = path.join(repoRoot, 'jobs');
const featurizer = path.join(repoRoot, '.canopy', 'models', 'squeezenet1.1-pooled.onnx');
const imageSampleFraction = 0.005;

function hashOf(files: string[], settings: unknown): string {
  const hash = createHash('sha256').update(JSON.stringify(settings));
  for (const file of files) hash.update(file).update(fs.readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

function jobCode(...scripts: string[]): string[] {
  const library = path.join(jobsDir, 'canopy_jobs');
  const modules = fs
    .readdirSync(library)
    .filter((f) => f.endsWith('.py'))
    .sort()
    .map((f) => path.join(library, f));
  return [...scripts.map((s) => path.join(jobsDir, s)), ...modules];
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8', cwd: repoRoot });
  if (result.status !== 0) throw new Error(`${path.basename(args[0])} failed (exit ${result.status}):\n${result.stderr.slice(-4000)}`);
}

function submit(job: string, args: string[]): void {
  run(path.join(jobsDir, 'spark-submit.sh'), [job, ...args]);
}

/** The cached folder for `key`, built by `build(dir)` into a private folder first when it is not there yet. */
function cached(name: string, key: string, build: (dir: string) => void): string {
  const dir = path.join(os.tmpdir(), `canopy-test-${name}-${key}`);
  if (fs.existsSync(path.join(dir, '.complete'))) return dir;
  const building = fs.mkdtempSync(`${dir}.building-`);
  fs.chmodSync(building, 0o755);
  try {
    build(building);
    fs.writeFileSync(path.join(building, '.complete'), '');
    // A build that another process finished meanwhile is kept; a stale, incomplete one is replaced.
    if (!fs.existsSync(path.join(dir, '.complete'))) {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.renameSync(building, dir);
    }
  } catch (err) {
    if (!fs.existsSync(path.join(dir, '.complete'))) throw err;
  } finally {
    fs.rmSync(building, { recursive: true, force: true });
  }
  return dir;
}

/** A logistic-regression image package (SqueezeNet features) trained by image_train.py on a 0.5% Fashion-MNIST sample. */
export function imageModelPackage(): ImageModelPackage {
  ensureJobsEnvironment();
  const imagesDir = fashionSample(imageSampleFraction);
  const settings = { classifier: 'logistic_regression', params: { maxIter: 50, regParam: 0.01 }, seed: 3, imageSampleFraction };
  const key = hashOf([...jobCode('image_train.py'), featurizer], settings);
  const dir = cached('image-package', key, (out) => {
    submit('image_train.py', [
      '--input',
      imagesDir,
      '--output',
      path.join(out, 'run'),
      '--featurizer',
      featurizer,
      '--classifier',
      settings.classifier,
      '--params',
      JSON.stringify(settings.params),
      '--seed',
      String(settings.seed),
    ]);
  });
  const runDir = path.join(dir, 'run');
  return { runDir, packageDir: path.join(runDir, 'model'), imagesDir };
}

/** A logistic-regression workload package trained by workload_train.py on a small generated session log (3 days, 6 servers). */
export function tabularModelPackage(): TabularModelPackage {
  ensureJobsEnvironment();
  const settings = { rows: 20000, days: 3, servers: 6, seed: 11, classifier: 'logistic_regression' };
  const key = hashOf(jobCode('workload_generate.py', 'workload_etl.py', 'workload_train.py'), settings);
  const dir = cached('tabular-package', key, (out) => {
    const csv = path.join(out, 'sessions.csv');
    run(path.join(jobsDir, '.venv', 'bin', 'python'), [
      path.join(jobsDir, 'workload_generate.py'),
      '--output',
      csv,
      '--rows',
      String(settings.rows),
      '--days',
      String(settings.days),
      '--servers',
      String(settings.servers),
      '--seed',
      String(settings.seed),
    ]);
    submit('workload_etl.py', ['--input', csv, '--output', path.join(out, 'etl')]);
    submit('workload_train.py', ['--input', path.join(out, 'etl'), '--output', path.join(out, 'run'), '--classifier', settings.classifier]);
  });
  const runDir = path.join(dir, 'run');
  return { runDir, packageDir: path.join(runDir, 'model'), sessionsCsv: path.join(dir, 'sessions.csv'), etlDir: path.join(dir, 'etl') };
}
