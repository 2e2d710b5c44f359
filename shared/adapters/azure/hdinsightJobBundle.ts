import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

/** What a Livy batch needs from `jobs/`: the job scripts, and the `canopy_jobs` package zipped for `pyFiles`. */
export interface JobBundle {
  /** Content hash of everything below: the bundle is uploaded once per version. */
  hash: string;
  files: Map<string, Buffer>;
}

export const packageZip = 'canopy_jobs.zip';

/**
 * The jobs' Python dependencies for the cluster (HDInsight 5.1: CPython 3.8), packed by `jobs/pack_environment.py`
 * from `jobs/requirements-cluster.txt` into `<jobsDir>/.environment/<hash>/canopyenv.tar.gz`.
 */
export interface JobEnvironment {
  /** The lock's and the pack script's content hash, as `pack_environment.py`'s `environment_hash`: uploaded once per hash. */
  hash: string;
  /** The archive on this machine. */
  archive: string;
}

/** The folder name YARN unpacks the archive to in each container, relative to the driver's and executors' working directory. */
export const jobEnvironmentAlias = 'canopyenv';
export const jobEnvironmentArchiveName = `${jobEnvironmentAlias}.tar.gz`;

/** Where `jobs/pack_environment.py` puts the environment for the current lock (it may not be built yet). */
export function locateJobEnvironment(jobsDir: string): JobEnvironment {
  const digest = createHash('sha256');
  for (const file of ['requirements-cluster.txt', 'pack_environment.py'])
    digest.update(fs.readFileSync(path.join(jobsDir, file))).update('\0');
  const hash = digest.digest('hex').slice(0, 16);
  return { hash, archive: path.join(jobsDir, '.environment', hash, jobEnvironmentArchiveName) };
}

/**
 * The Livy batch fields that put the environment on the import path: YARN unpacks `archives` as `./canopyenv` in
 * every container, and PYTHONPATH names it for the driver (cluster mode: the application master's environment) and
 * the executors. Spark's YARN client appends its own entries (pyspark.zip, py4j, `pyFiles`) to both, so nothing of
 * pyspark's is replaced, and PYTHONPATH comes before the cluster Python's site-packages, whose older numpy and pandas
 * it hides.
 */
export function jobEnvironmentBatchFields(archiveUri: string): { archives: string[]; conf: Record<string, string> } {
  const importPath = `./${jobEnvironmentAlias}`;
  return {
    archives: [`${archiveUri}#${jobEnvironmentAlias}`],
    conf: { 'spark.yarn.appMasterEnv.PYTHONPATH': importPath, 'spark.executorEnv.PYTHONPATH': importPath },
  };
}

/** Reads the bundle from `jobsDir` (the same files `jobs/spark-submit.sh` ships locally). */
export function readJobBundle(jobsDir: string): JobBundle {
  const files = new Map<string, Buffer>();
  for (const name of fs.readdirSync(jobsDir).sort())
    if (name.endsWith('.py') && fs.statSync(path.join(jobsDir, name)).isFile()) files.set(name, fs.readFileSync(path.join(jobsDir, name)));
  const packageDir = path.join(jobsDir, 'canopy_jobs');
  const modules = fs
    .readdirSync(packageDir)
    .filter((name) => name.endsWith('.py'))
    .sort()
    .map((name) => ({ name: `canopy_jobs/${name}`, content: fs.readFileSync(path.join(packageDir, name)) }));
  files.set(packageZip, storedZip(modules));
  const hash = createHash('sha256');
  for (const [name, content] of files) hash.update(name).update('\0').update(content).update('\0');
  return { hash: hash.digest('hex').slice(0, 16), files };
}

/**
 * A zip archive of uncompressed ("stored") entries: all `pyFiles` needs, without a zip dependency. Fixed timestamps
 * keep the archive (and so the bundle hash) a function of the sources alone.
 */
export function storedZip(entries: { name: string; content: Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  const dosDate = ((2020 - 1980) << 9) | (1 << 5) | 1;
  for (const { name, content } of entries) {
    const fileName = Buffer.from(name, 'utf8');
    const crc = zlib.crc32(content);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(content.length, 18);
    local.writeUInt32LE(content.length, 22);
    local.writeUInt16LE(fileName.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(dosDate, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(content.length, 20);
    central.writeUInt32LE(content.length, 24);
    central.writeUInt16LE(fileName.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, fileName, content);
    centrals.push(central, fileName);
    offset += local.length + fileName.length + content.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
