import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { blobService, CanopyUnderTest, repoRoot } from '../test/support/canopyUnderTest';
import { Json } from '../test/support/json';
import {
  accuracy,
  batchContainer,
  expectConsistentOutput,
  fashionTestImages,
  readBatchOutput,
  registerImageModel,
  uploadBlobs,
  waitForBatch,
} from '../test/batch-scoring/batchScoringFixture';

// `npm run bench:batch-scoring`: batch scoring of the 10,000 Fashion-MNIST test images through the
// model server, and of a smaller set on local Spark, on the real local stack; writes bench/results/batch-scoring.json.
const resultFile = path.join(repoRoot, 'bench', 'results', 'batch-scoring.json');
const scorerImages = 10_000;
const sparkImages = Number(process.env.BENCH_SPARK_IMAGES ?? 2000);

jest.setTimeout(60 * 60_000);

async function timedRun(canopy: CanopyUnderTest, model: string, body: Json, prefix: string, inputs: string[]): Promise<Json> {
  const begin = Date.now();
  const started = await canopy.api('POST', `models/${model}/batch-scoring`, body);
  expect(started.status).toBe(202);
  const done = await waitForBatch(canopy, started.body.instanceId, undefined, 50 * 60_000);
  const wallSeconds = (Date.now() - begin) / 1000;
  expect(done.runtimeStatus).toBe('Completed');
  const out = await readBatchOutput(done.output);
  expectConsistentOutput(out, inputs);
  const s = out.summary;
  // batch_score's own timing of its scoring stage: the Spark route's wall time less the JVM, staging and polling.
  const job =
    body.via === 'spark'
      ? await blobService
          .getContainerClient(done.output.container)
          .getBlobClient(`${done.output.prefix}spark/summary.json`)
          .downloadToBuffer()
      : undefined;
  return {
    via: body.via,
    images: s.scored,
    pages: s.pages.total,
    pageSize: body.pageSize,
    concurrency: body.concurrency,
    wallSeconds,
    phaseSeconds: s.seconds,
    imagesPerSecondScoring: Math.round((s.scored / s.seconds.scoring) * 10) / 10,
    imagesPerSecondWall: Math.round((s.scored / wallSeconds) * 10) / 10,
    accuracy: Math.round(accuracy(out, prefix) * 10000) / 10000,
    ...(job
      ? { jobScoreStageSeconds: (JSON.parse(job.toString('utf8')) as { durationsSeconds: { score: number } }).durationsSeconds.score }
      : {}),
  };
}

describe('batch scoring benchmark', () => {
  it('measures the scorer route on 10,000 images and the Spark route on a smaller set', async () => {
    const canopy = await CanopyUnderTest.start();
    try {
      const model = `bench-${randomUUID().slice(0, 8)}`;
      await registerImageModel(canopy, model);
      const images = fashionTestImages(scorerImages);
      const prefix = `${model}/test/`;
      const uploadBegin = Date.now();
      await uploadBlobs(
        batchContainer,
        prefix,
        images.map((i) => ({ name: i.name, content: i.png })),
      );
      const uploadSeconds = (Date.now() - uploadBegin) / 1000;
      const inputs = images.map((i) => `${prefix}${i.name}`);
      const scorer = await timedRun(
        canopy,
        model,
        { source: { container: batchContainer, prefix }, via: 'scorer', pageSize: 500, concurrency: 4 },
        prefix,
        inputs,
      );

      const sparkPrefix = `${model}/spark/`;
      const sparkSet = images.slice(0, sparkImages);
      await uploadBlobs(
        batchContainer,
        sparkPrefix,
        sparkSet.map((i) => ({ name: i.name, content: i.png })),
      );
      const spark = await timedRun(
        canopy,
        model,
        { source: { container: batchContainer, prefix: sparkPrefix }, via: 'spark', pageSize: 500 },
        sparkPrefix,
        sparkSet.map((i) => `${sparkPrefix}${i.name}`),
      );

      const result = {
        measuredAt: new Date().toISOString(),
        machine: { cpus: os.cpus().length, loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 10) / 10) },
        upload: { images: scorerImages, seconds: uploadSeconds, concurrency: 16 },
        scorer,
        spark,
      };
      fs.mkdirSync(path.dirname(resultFile), { recursive: true });
      fs.writeFileSync(resultFile, `${JSON.stringify(result, null, 2)}\n`);
      console.log(JSON.stringify(result));
    } finally {
      await canopy.stop();
    }
  });
});
