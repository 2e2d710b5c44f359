import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BlobServiceClient } from '@azure/storage-blob';
import { pipelineInstanceId } from '../shared/domain/naming';
import { demoPipeline, demoSpec } from './demoSpec';
import { LocalApp, startLocalApp } from './localApp';
import { childInstanceIds, orchestrationTiming, OrchestrationTiming, ShownHistoryEvent } from './orchestrationTiming';

// `npm run demo`: the main job on the local stack, from a fresh clone to a scored example.
const root = path.resolve(__dirname, '..', '..');
const landing = 'canopy-landing';

interface RunView {
  run?: {
    status: string;
    stageSeconds?: Record<string, number>;
    tornDown?: boolean;
    best?: { classifier: string; featurizer: string; value: number; candidateId: string };
    deployment?: { endpoint: string };
  };
  candidates: {
    candidateId: string;
    classifier: string;
    status: string;
    metrics?: { accuracy: number; confusionMatrix?: { labels: string[]; matrix: number[][] } };
  }[];
  orchestration?: {
    runtimeStatus: string;
    customStatus?: { stage: string; candidates: { total: number; done: number; failed: number; running: number }; elapsedSeconds: number };
    output?: Record<string, unknown>;
  };
}

function step(message: string): void {
  console.log(`\n▸ ${message}`);
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
}

function files(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile());
}

async function uploadFolder(blobs: BlobServiceClient, dir: string, prefix: string): Promise<number> {
  const container = blobs.getContainerClient(landing);
  await container.createIfNotExists();
  const all = files(dir).filter((f) => !path.basename(f).startsWith('.'));
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < all.length) {
        const file = all[next++];
        await container.getBlockBlobClient(`${prefix}${file.split(path.sep).join('/')}`).uploadFile(path.join(dir, file));
      }
    }),
  );
  return all.length;
}

function bar(done: number, total: number, width = 24): string {
  const filled = total === 0 ? 0 : Math.round((done / total) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

async function api<T>(local: LocalApp, method: string, route: string, body?: unknown): Promise<T> {
  const res = await fetch(`${local.baseUrl}/api/${route}`, {
    method,
    headers: { 'x-functions-key': local.keys.functionKeys.default, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} /api/${route} answered ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

function printConfusion(cm: { labels: string[]; matrix: number[][] }): void {
  const width = Math.max(5, ...cm.labels.map((l) => l.length)) + 1;
  const cell = Math.max(4, ...cm.matrix.flat().map((v) => String(v).length)) + 1;
  console.log(`${' '.repeat(width)}${cm.labels.map((_, i) => String(i).padStart(cell)).join('')}   (columns: predicted, rows: true)`);
  cm.matrix.forEach((row, i) =>
    console.log(`${`${i} ${cm.labels[i]}`.padEnd(width + 2).slice(0, width)}${row.map((v) => String(v).padStart(cell)).join('')}`),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { ci: { type: 'boolean', default: false }, 'sample-fraction': { type: 'string', default: '0.02' } },
  });
  const ci = values.ci ?? false;
  const fraction = Number(values['sample-fraction']);
  if (!(fraction > 0 && fraction <= 1)) throw new Error('--sample-fraction must be in (0, 1]');
  const started = Date.now();

  step('Setting up the Spark jobs (Python environment, Fashion-MNIST, featurizer)');
  run('bash', ['jobs/setup.sh']);

  const stateDir = path.resolve(process.env.CANOPY_LOCAL_STATE ?? path.join(root, '.canopy'));
  const dataset = path.join(stateDir, 'demo-data', `fashion-mnist-${fraction}`);
  if (!fs.existsSync(path.join(dataset, '.complete'))) {
    step(`Importing ${fraction * 100}% of each Fashion-MNIST class into ${dataset}`);
    fs.rmSync(dataset, { recursive: true, force: true });
    run(path.join(root, 'jobs', '.venv', 'bin', 'python'), [
      'jobs/import_fashion_mnist.py',
      '--output',
      dataset,
      '--sample-fraction',
      String(fraction),
    ]);
    fs.writeFileSync(path.join(dataset, '.complete'), new Date().toISOString());
  }

  step('Starting the local stack and the Functions host (log: .canopy/devhost.log)');
  fs.mkdirSync(stateDir, { recursive: true });
  const log = fs.openSync(path.join(stateDir, 'devhost.log'), 'a');
  const local = await startLocalApp(root, { ...process.env, CANOPY_LOCAL_STATE: stateDir }, log);
  let finished = false;
  const stopAll = async (): Promise<void> => {
    await local.stop();
    stopLocalDeployments(stateDir);
  };
  process.on('SIGINT', () => {
    if (!finished) console.log('\nStopping…');
    void stopAll().then(() => process.exit(0));
  });
  try {
    const blobs = BlobServiceClient.fromConnectionString(local.stack.storageConnectionString);
    step(`Uploading the images to ${landing}/${demoPipeline}/ in Azurite`);
    const count = await uploadFolder(blobs, dataset, `${demoPipeline}/`);
    console.log(`  ${count} images`);

    step('Registering the demo pipeline spec');
    const stored = await api<{ version: number }>(local, 'POST', 'pipelines', demoSpec);
    console.log(`  ${demoPipeline} version ${stored.version}`);

    step(`Uploading the marker ${landing}/${demoPipeline}/_READY: the blob trigger starts the run`);
    const marker = await blobs
      .getContainerClient(landing)
      .getBlockBlobClient(`${demoPipeline}/_READY`)
      .upload(new Date().toISOString(), 24);
    const instanceId = pipelineInstanceId(demoPipeline, `blob:${String(marker.etag).replace(/"/g, '')}`);
    console.log(`  run ${instanceId}`);
    console.log(`  watch it   ${local.baseUrl}/api/dashboard/#/pipelines/${demoPipeline}/runs/${instanceId}`);

    let view: RunView | undefined;
    let lastLine = '';
    for (;;) {
      await new Promise((r) => setTimeout(r, 2000));
      view = await api<RunView>(local, 'GET', `pipelines/${demoPipeline}/runs/${instanceId}`).catch(() => undefined);
      const o = view?.orchestration;
      if (!o) continue;
      const s = o.customStatus;
      if (s) {
        const c = s.candidates;
        const line = `  [${s.stage.padEnd(9)}] ${bar(c.done + c.failed, c.total)} candidates ${c.done + c.failed}/${c.total} (${c.running} running, ${c.failed} failed)  ${Math.round(s.elapsedSeconds)}s`;
        if (!ci && process.stdout.isTTY) process.stdout.write(`\r${line}`);
        else if (line.replace(/\d+s$/, '') !== lastLine.replace(/\d+s$/, '')) console.log(line);
        lastLine = line;
      }
      if (['Completed', 'Failed', 'Terminated'].includes(o.runtimeStatus)) break;
    }
    if (!ci && process.stdout.isTTY) process.stdout.write('\n');

    const board = await api<{
      leaderboard: {
        candidateId: string;
        classifier: string;
        featurizer: string;
        accuracy: number;
        classAverageAccuracy: number;
        durationSeconds?: number;
        instanceId: string;
      }[];
    }>(local, 'GET', `pipelines/${demoPipeline}/leaderboard?top=10`);
    step('Leaderboard (every run of this pipeline, best first)');
    console.log('  rank  classifier            featurizer      accuracy  class-avg  train s  run');
    board.leaderboard.forEach((r, i) =>
      console.log(
        `  ${String(i + 1).padStart(4)}  ${r.classifier.padEnd(20)}  ${r.featurizer.padEnd(14)}  ${r.accuracy.toFixed(4).padStart(8)}  ${r.classAverageAccuracy.toFixed(4).padStart(9)}  ${String(Math.round(r.durationSeconds ?? 0)).padStart(7)}  ${r.instanceId === instanceId ? 'this run' : r.instanceId}`,
      ),
    );
    for (const c of view?.candidates.filter((x) => x.status !== 'succeeded') ?? []) console.log(`  ${c.candidateId}: ${c.status}`);

    const output = (view?.orchestration?.output ?? {}) as {
      pipelineStatus?: string;
      best?: { classifier: string; featurizer: string; value: number; candidateId: string };
      deployed?: { endpoint: string; scoredLabel: string };
      tornDown?: boolean;
      stageSeconds?: Record<string, number>;
      candidates?: unknown;
      error?: unknown;
    };
    const winner = view?.candidates.find((c) => c.candidateId === output.best?.candidateId);
    if (winner?.metrics?.confusionMatrix) {
      step(`Confusion matrix of the winner (${winner.classifier})`);
      printConfusion(winner.metrics.confusionMatrix);
    }

    let scored: { label: string; truth: string } | undefined;
    if (output.deployed?.endpoint) {
      const testDir = path.join(dataset, 'test');
      const truth = fs.readdirSync(testDir).sort()[0];
      const image = fs.readdirSync(path.join(testDir, truth)).sort()[0];
      const res = await fetch(`${output.deployed.endpoint}/score`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ images: [fs.readFileSync(path.join(testDir, truth, image)).toString('base64')] }),
      });
      const body = (await res.json()) as { predictions: { label: string }[] };
      scored = { label: body.predictions[0].label, truth };
      step('The deployed model');
      console.log(`  endpoint   ${output.deployed.endpoint}/score   (also /health, /metadata)`);
      console.log(`  dashboard  ${local.baseUrl}/api/dashboard/#/pipelines/${demoPipeline}/runs/${instanceId}`);
      console.log(`  example    test/${truth}/${image} → ${scored.label}`);
      console.log(
        `  try it     curl -s -X POST ${output.deployed.endpoint}/score -H 'content-type: application/json' -d '{"images": ["<base64 PNG>"]}'`,
      );
    }
    step(
      `Run ${output.pipelineStatus ?? view?.orchestration?.runtimeStatus}; compute torn down: ${output.tornDown ? 'yes' : 'no'}; stage seconds ${JSON.stringify(output.stageSeconds ?? {})}`,
    );
    if (output.error) console.log(`  error: ${JSON.stringify(output.error)}`);

    const timing = await historyTiming(local, instanceId);
    if (timing) {
      console.log(
        `  orchestration: ${timing.wallSeconds.toFixed(1)} s wall = ${timing.inActivitiesSeconds.toFixed(1)} s in activities + ${timing.waitingOnTimersSeconds.toFixed(1)} s polling timers + ${timing.overheadSeconds.toFixed(1)} s engine overhead (${timing.activityCount} activities, ${timing.timerCount} timers)`,
      );
    }

    const summary = {
      pipelineStatus: output.pipelineStatus ?? view?.orchestration?.runtimeStatus,
      instanceId,
      candidates: output.candidates,
      best: output.best
        ? { classifier: output.best.classifier, featurizer: output.best.featurizer, accuracy: output.best.value }
        : undefined,
      deployed: output.deployed
        ? { endpoint: output.deployed.endpoint, scoredLabel: scored?.label ?? output.deployed.scoredLabel, truth: scored?.truth }
        : undefined,
      tornDown: output.tornDown ?? false,
      stageSeconds: output.stageSeconds,
      wallSeconds: Math.round((Date.now() - started) / 1000),
      orchestration: timing,
      error: output.error,
    };
    finished = true;
    if (ci) {
      await stopAll();
      console.log(JSON.stringify(summary));
      process.exit(summary.pipelineStatus === 'succeeded' ? 0 : 1);
    }
    console.log(
      `\nThe stack stays up to explore: the dashboard at ${local.baseUrl}/api/dashboard/ and the API at ${local.baseUrl}/api/openapi.json (function key ${local.keys.functionKeys.default}). Ctrl-C stops it.`,
    );
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** The run's history from the Durable management API, split into activities, timer waits and overhead. */
async function historyTiming(local: LocalApp, instanceId: string): Promise<OrchestrationTiming | undefined> {
  const historyOf = async (id: string) => {
    const res = await fetch(
      `${local.baseUrl}/runtime/webhooks/durabletask/instances/${encodeURIComponent(id)}?showHistory=true&showHistoryOutput=true&code=${encodeURIComponent(local.keys.masterKey)}`,
    );
    if (!res.ok) return undefined;
    const status = (await res.json()) as { historyEvents?: (ShownHistoryEvent & { Input?: { pollSeconds?: number } })[] };
    return status.historyEvents ?? [];
  };
  const history = await historyOf(instanceId);
  if (!history) return undefined;
  const children = await Promise.all(childInstanceIds(history).map(historyOf));
  const pollSeconds = history.find((e) => e.EventType === 'ExecutionStarted')?.Input?.pollSeconds ?? 3;
  return orchestrationTiming(
    history,
    pollSeconds,
    children.filter((h): h is ShownHistoryEvent[] => !!h),
  );
}

/** Model servers run detached (they outlive a host restart); the demo stops the ones it started. */
function stopLocalDeployments(stateDir: string): void {
  const dir = path.join(stateDir, 'deployments');
  if (!fs.existsSync(dir)) return;
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const { pid } = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { pid?: number };
    try {
      if (pid) process.kill(pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
}

main().catch((err: Error) => {
  console.error(`demo: ${err.message}`);
  process.exit(1);
});
