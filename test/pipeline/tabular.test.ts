import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clusterName } from '../../shared/domain/naming';
import { CanopyUnderTest, ensureJobsEnvironment, repoRoot, uploadFolder } from '../support/canopyUnderTest';
import { Json } from '../support/json';

jest.setTimeout(15 * 60_000);

describe('tabular pipeline (server workload logs)', () => {
  it('runs the ETL once, trains both candidates on its features in one application and deploys a scorer that takes rows', async () => {
    const name = `logs-${randomUUID().slice(0, 6)}`;
    ensureJobsEnvironment();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-logs-'));
    const generated = spawnSync(
      path.join(repoRoot, 'jobs', '.venv', 'bin', 'python'),
      [
        path.join(repoRoot, 'jobs', 'workload_generate.py'),
        '--output',
        path.join(dir, 'sessions.csv'),
        '--rows',
        '20000',
        '--days',
        '4',
        '--servers',
        '8',
      ],
      { encoding: 'utf8' },
    );
    expect(generated.status).toBe(0);
    await uploadFolder('canopy-landing', `${name}/`, dir);

    const canopy = await CanopyUnderTest.start();
    try {
      const spec = {
        name,
        scenario: 'tabular-classification',
        data: { source: { container: 'canopy-landing', prefix: `${name}/` } },
        candidates: {
          classifiers: [
            { type: 'random_forest', grid: { numTrees: [20] } },
            { type: 'logistic_regression', grid: { regParam: [0.01] } },
          ],
          maxConcurrent: 2,
        },
      };
      const started = await canopy.api('POST', 'runs', { spec });
      expect(started.status).toBe(202);
      const done = await canopy.waitForEnd(name, started.body.instanceId);
      const output: Json = done.orchestration.output;
      expect(output.error).toBeUndefined();
      expect(output).toMatchObject({ pipelineStatus: 'succeeded', candidates: { total: 2, succeeded: 2 }, tornDown: true });
      expect(['low', 'medium', 'high']).toContain(output.deployed.scoredLabel);
      const batches = fs.readdirSync(path.join(canopy.stateDir, 'compute', clusterName(started.body.instanceId), 'batches')).sort();
      // One application: the ETL, then both candidates of the grid.
      expect(batches).toEqual(['grid-tabular']);
      expect(done.candidates.map((c: Json) => Object.keys(c.metrics.timings).sort())).toEqual([
        ['evaluate', 'featurize', 'fit', 'write'],
        ['evaluate', 'featurize', 'fit', 'write'],
      ]);
      const metadata = (await (await fetch(`${output.deployed.endpoint}/metadata`)).json()) as Json;
      expect(metadata.task).toBe('tabular-classification');
    } finally {
      await canopy.stop();
    }
  });
});
