// npm run bench:pipeline — the demo pipeline end to end on the local stack (`npm run demo -- --ci`),
// in a fresh state folder on its own ports, and writes bench/results/pipeline.json: wall time,
// how it splits across stages, and the orchestration's time outside activities.
const { spawn } = require('node:child_process');
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
  const result = {
    benchmark: 'pipeline',
    date: new Date().toISOString(),
    machine: {
      cores: os.cpus().length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      loadAverageBefore: loadBefore.map((l) => Math.round(l * 100) / 100),
      loadAverageAfter: os.loadavg().map((l) => Math.round(l * 100) / 100),
    },
    sampleFraction: Number(fraction),
    pipelineStatus: summary.pipelineStatus,
    candidates: summary.candidates,
    best: summary.best,
    demoWallSeconds: summary.wallSeconds,
    stageSeconds: summary.stageSeconds,
    orchestration: summary.orchestration,
    orchestrationOverheadShare: summary.orchestration
      ? Math.round((summary.orchestration.overheadSeconds / summary.orchestration.wallSeconds) * 10000) / 10000
      : undefined,
  };
  fs.mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  fs.writeFileSync(path.join(root, 'bench', 'results', 'pipeline.json'), JSON.stringify(result, null, 2) + '\n');
  fs.rmSync(state, { recursive: true, force: true });
  console.log(`wrote bench/results/pipeline.json`);
  process.exit(summary.pipelineStatus === 'succeeded' ? 0 : 1);
});
