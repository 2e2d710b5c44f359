import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { clusterName } from '../../shared/domain/naming';
import { CanopyUnderTest, fashionSample, imageSpec, stores, uploadFolder } from '../support/canopyUnderTest';
import { Json } from '../support/json';

jest.setTimeout(15 * 60_000);

describe('training pipeline across a host crash', () => {
  it('completes after kill -9 while a grid application trains, without training any candidate twice', async () => {
    const name = `crash-${randomUUID().slice(0, 6)}`;
    await uploadFolder('canopy-landing', `${name}/`, fashionSample());
    const canopy = await CanopyUnderTest.start();
    try {
      const spec = imageSpec(name, [
        { type: 'logistic_regression', grid: { regParam: [0.01], maxIter: [50] } },
        { type: 'random_forest', grid: { numTrees: [20], maxDepth: [6] } },
      ]);
      const started = await canopy.api('POST', 'runs', { spec });
      expect(started.status).toBe(202);
      const instanceId = started.body.instanceId as string;
      await canopy.waitFor(name, instanceId, (v) => v.orchestration?.customStatus?.candidates?.running > 0);
      const cluster = clusterName(instanceId);
      const batches = path.join(canopy.stateDir, 'compute', cluster, 'batches');
      const firstBatch = fs.readdirSync(batches)[0];
      const pidBefore = JSON.parse(fs.readFileSync(path.join(batches, firstBatch, 'batch.json'), 'utf8')).pid;

      await canopy.host.kill();
      await new Promise((r) => setTimeout(r, 3000));
      await canopy.restart();

      const done = await canopy.waitForEnd(name, instanceId);
      expect(done.orchestration.output).toMatchObject({
        pipelineStatus: 'succeeded',
        candidates: { total: 2, succeeded: 2, failed: 0 },
        tornDown: true,
      });
      // The restarted host found the grid's batch again (its name derives from the run) instead of submitting another.
      expect(JSON.parse(fs.readFileSync(path.join(batches, firstBatch, 'batch.json'), 'utf8')).pid).toBe(pidBefore);
      expect(fs.readdirSync(batches)).toEqual(['grid-squeezenet11']);
      const log = fs.readFileSync(path.join(batches, firstBatch, 'job.log'), 'utf8');
      for (const classifier of ['logistic_regression', 'random_forest'])
        expect(log.match(new RegExp(`^image_train: ${classifier} accuracy`, 'gm'))).toHaveLength(1);
      const { runs } = await stores();
      const candidates = await runs.listCandidateRuns(name, instanceId);
      expect(candidates.map((c: Json) => c.status)).toEqual(['succeeded', 'succeeded']);
    } finally {
      await canopy.stop();
    }
  });
});
