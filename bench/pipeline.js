// npm run bench:pipeline — the demo pipeline end to end on the local stack (`npm run demo -- --ci`),
// in a fresh state folder on its own ports, and writes bench/results/pipeline.json: wall time,
// how it splits across stages, the orchestration's time outside activities, and trainEfficiency:
// (featurize + Σ fit + Σ evaluate, as the jobs measured them in each candidate's metrics.json
// `timings`) / the train stage's wall time.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const fraction = process.env.BENCH_SAMPLE_FRACTION ?? '0.02';
const state = fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-bench-pipeline-'));
const env = {
  ...process.env,
  CANOPY_LOCAL_STATE: state,
  CANOPY_MODELS_DIR: path.join(root, '.canopy', 'models'),
  CANOPY_BLOB_PORT: '25000',
  CANOPY_QUEUE_PORT: '25001',
  CANOPY_TABLE_PORT: '25002',
  CANOPY_COSMOS_PORT: '25081',
  CANOPY_FUNCTIONS_PORT: '25071',
};
/** Every candidate's metrics.json the local Spark batches of the run wrote (grid or one-candidate batches). */
function candidateMetrics(stateDir) {
  const compute = path.join(stateDir, 'compute');
  const files = fs.existsSync(compute)
    ? fs.readdirSync(compute, { recursive: true }).filter((f) => /[\\/]output[\\/](.+[\\/])?metrics\.json$/.test(f))
    : [];
  return files.map((f) => JSON.parse(fs.readFileSync(path.join(compute, f), 'utf8')));
}

/** The machine's speed today (bench/cpu_yardstick.py), so runs on different days compare. */
function cpuYardstick() {
  const python = path.join(root, 'jobs', '.venv', 'bin', 'python');
  const featurizer = path.join(env.CANOPY_MODELS_DIR, 'squeezenet1.1-pooled.onnx');
  const probe = spawnSync(python, [path.join(root, 'bench', 'cpu_yardstick.py'), featurizer], { encoding: 'utf8' });
  if (probe.status !== 0) {
    console.error(`bench:pipeline: the CPU yardstick failed: ${probe.stderr.trim().split('\n').pop()}`);
    return undefined;
  }
  return JSON.parse(probe.stdout.trim().split('\n').pop());
}

/** Seconds per phase summed over the candidates: their featurize shares add up to each featurize once. */
function jobSeconds(metrics) {
  const total = { featurize: 0, fit: 0, evaluate: 0, write: 0 };
  for (const m of metrics) for (const phase of Object.keys(total)) total[phase] += m.timings?.[phase] ?? 0;
  for (const phase of Object.keys(total)) total[phase] = Math.round(total[phase] * 10) / 10;
  return total;
}

const loadBefore = os.loadavg();
const child = spawn(process.execPath, [path.join(root, 'dist', 'devhost', 'demo.js'), '--ci', '--sample-fraction', fraction], {
  cwd: root,
  env,
  stdio: ['ignore', 'pipe', 'inherit'],
});
let out = '';
child.stdout.on('data', (d) => {
  out += d;
  process.stdout.write(d);
});
child.on('exit', (code) => {
  const last = out.trim().split('\n').pop();
  let summary;
  try {
    summary = JSON.parse(last);
  } catch {
    console.error(`bench:pipeline: the demo printed no summary (exit ${code})`);
    process.exit(1);
  }
  const metrics = candidateMetrics(state);
  const jobs = jobSeconds(metrics);
  const trainSeconds = summary.stageSeconds?.train;
  const result = {
    benchmark: 'pipeline',
    date: new Date().toISOString(),
    machine: {
      cores: os.cpus().length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      loadAverageBefore: loadBefore.map((l) => Math.round(l * 100) / 100),
      loadAverageAfter: os.loadavg().map((l) => Math.round(l * 100) / 100),
      cpuYardstick: cpuYardstick(),
    },
    sampleFraction: Number(fraction),
    pipelineStatus: summary.pipelineStatus,
    candidates: summary.candidates,
    best: summary.best,
    demoWallSeconds: summary.wallSeconds,
    stageSeconds: summary.stageSeconds,
    jobSeconds: jobs,
    candidateSeconds: metrics.map((m) => ({ classifier: m.classifier, params: m.params, timings: m.timings })),
    trainEfficiency: trainSeconds ? Math.round(((jobs.featurize + jobs.fit + jobs.evaluate) / trainSeconds) * 1000) / 1000 : undefined,
    targets: { trainSecondsAtMost: 60, trainEfficiencyAtLeast: 0.75, demoWallSecondsBelow: 120 },
    orchestration: summary.orchestration,
    orchestrationOverheadShare: summary.orchestration
      ? Math.round((summary.orchestration.overheadSeconds / summary.orchestration.wallSeconds) * 10000) / 10000
      : undefined,
  };
  fs.mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  fs.writeFileSync(path.join(root, 'bench', 'results', 'pipeline.json'), JSON.stringify(result, null, 2) + '\n');
  if (!process.env.BENCH_KEEP_STATE) fs.rmSync(state, { recursive: true, force: true });
  console.log(`wrote bench/results/pipeline.json`);
  process.exit(summary.pipelineStatus === 'succeeded' ? 0 : 1);
});
