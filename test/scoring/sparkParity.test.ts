import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../support/canopyUnderTest';
import { Json } from '../support/json';
import { imageModelPackage, tabularModelPackage } from '../support/modelPackages';
import { startScorer, ScorerProcess } from './scorerProcess';
import { postJson, testImages, workloadFeatureRows } from './scoringFixtures';

interface SparkPrediction {
  key: string;
  predictedLabel: string;
  probabilities: Record<string, number>;
}

/** Runs jobs/batch_score.py (Spark, the jobs' own onnxruntime path) and reads its predictions back by key. */
function sparkPredictions(packageDir: string, input: string, keyScript: string): Map<string, SparkPrediction> {
  const output = fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-parity-'));
  try {
    const scored = spawnSync(
      path.join(repoRoot, 'jobs', 'spark-submit.sh'),
      ['batch_score.py', '--model', packageDir, '--input', input, '--output', output, '--format', 'parquet'],
      {
        encoding: 'utf8',
      },
    );
    if (scored.status !== 0) throw new Error(`batch_score.py failed:\n${scored.stderr.slice(-4000)}`);
    const script =
      'import json, sys, pandas as pd\n' +
      'frame = pd.read_parquet(sys.argv[1])\n' +
      `frame["key"] = ${keyScript}\n` +
      'columns = [c for c in frame.columns if c.startswith("probability_")]\n' +
      'print(json.dumps([{"key": r["key"], "predictedLabel": r["predictedLabel"], "error": r["error"],\n' +
      '  "probabilities": {c[len("probability_"):]: r[c] for c in columns}} for _, r in frame.iterrows()]))\n';
    const read = spawnSync(path.join(repoRoot, 'jobs', '.venv', 'bin', 'python'), ['-c', script, path.join(output, 'predictions')], {
      encoding: 'utf8',
    });
    if (read.status !== 0) throw new Error(`reading the predictions failed:\n${read.stderr}`);
    const rows = JSON.parse(read.stdout) as (SparkPrediction & { error: string | null })[];
    expect(rows.filter((r) => r.error !== null)).toEqual([]);
    return new Map(rows.map((r) => [r.key, r]));
  } finally {
    fs.rmSync(output, { recursive: true, force: true });
  }
}

function expectEqualToSpark(served: Json[], spark: SparkPrediction[]): void {
  expect(served.map((p: Json) => p.label)).toEqual(spark.map((p) => p.predictedLabel));
  let largest = 0;
  served.forEach((p: Json, i) => {
    for (const [label, value] of Object.entries(spark[i].probabilities))
      largest = Math.max(largest, Math.abs(p.probabilities[label] - value));
  });
  expect(largest).toBeLessThan(1e-4);
}

describe("the model server's predictions equal the Spark job's (jobs/batch_score.py) on held-out data", () => {
  let scorer: ScorerProcess | undefined;

  afterEach(async () => {
    if (scorer) expect(await scorer.stop()).toBe(0);
    scorer = undefined;
  });

  it('image model: every Fashion-MNIST test image of the sample, sent as PNG', async () => {
    const image = imageModelPackage();
    const spark = sparkPredictions(
      image.packageDir,
      path.join(image.imagesDir, 'test'),
      'frame["path"].str.replace("file:", "", regex=False)',
    );
    const images = testImages(image.imagesDir);
    expect(spark.size).toBe(images.length);
    scorer = await startScorer(image.packageDir);
    await scorer.waitReady();
    const served = await postJson(scorer.baseUrl, { images: images.map((t) => fs.readFileSync(t.file).toString('base64')) });
    expect(served.status).toBe(200);
    expectEqualToSpark(
      served.body.predictions,
      images.map((t) => spark.get(t.file) as SparkPrediction),
    );
  }, 600_000);

  it('workload model: every server period of the generated log, sent as rows', async () => {
    const tabular = tabularModelPackage();
    const spark = sparkPredictions(
      tabular.packageDir,
      tabular.sessionsCsv,
      'frame["serverIP"] + "@" + (frame["periodStart"].astype("int64") // 10**9).astype(str)',
    );
    scorer = await startScorer(tabular.packageDir, { SCORER_MAX_ROWS: '1000' });
    await scorer.waitReady();
    const columns = ((await (await fetch(`${scorer.baseUrl}/metadata`)).json()) as Json).inputs.map((i: Json) => i.name as string);
    const periods = workloadFeatureRows(tabular.etlDir, [...columns, 'serverIP', 'periodStartSeconds'], 1000);
    expect(periods.length).toBe(spark.size);
    const served = await postJson(scorer.baseUrl, { rows: periods.map((p) => Object.fromEntries(columns.map((c: string) => [c, p[c]]))) });
    expect(served.status).toBe(200);
    expectEqualToSpark(
      served.body.predictions,
      periods.map((p) => spark.get(`${p.serverIP}@${p.periodStartSeconds}`) as SparkPrediction),
    );
  }, 600_000);
});
