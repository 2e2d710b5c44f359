import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../test/support/canopyUnderTest';
import { CellResult, fullMatrix, LeakAudit, leakTotals } from '../test/support/leakAuditMatrix';

// `npm run bench:leak-audit`: every path that creates something (training pipeline and batch scoring; hdinsight on the
// Azure fakes and local-spark; aci, aks and local deployments) × every way a run ends, each followed by the fakes'
// inventory, the local target's state and the ledger (one reaper pass at most); writes bench/results/leak-audit.json.
const resultFile = path.join(repoRoot, 'bench', 'results', 'leak-audit.json');

jest.setTimeout(90 * 60_000);

describe('leak audit', () => {
  it('leaves no live resource and no billed cluster minute after any run', async () => {
    const begun = Date.now();
    const paths: CellResult[] = [];
    for (const withFakes of [true, false]) {
      const audit = await LeakAudit.start(withFakes);
      try {
        for (const cell of fullMatrix.filter((c) => (c.compute === 'hdinsight') === withFakes)) {
          const result = await audit.run(cell).catch((err: Error): CellResult => ({
            path: `${cell.workload} × ${cell.compute}${cell.deploy ? ` × ${cell.deploy}` : ''}`,
            ending: cell.ending,
            resourcesCreated: 0,
            leakedResources: Number.NaN,
            leakedClusterMinutes: Number.NaN,
            details: { auditError: err.message.slice(0, 2000) },
          }));
          console.log(
            JSON.stringify({
              path: result.path,
              ending: result.ending,
              leaked: result.leakedResources,
              minutes: result.leakedClusterMinutes,
              created: result.resourcesCreated,
            }),
          );
          paths.push(result);
        }
      } finally {
        await audit.close();
      }
    }
    const result = {
      measuredAt: new Date().toISOString(),
      machine: { cpus: os.cpus().length, loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 10) / 10) },
      wallSeconds: Math.round((Date.now() - begun) / 1000),
      cells: paths.length,
      ...leakTotals(paths),
      paths,
    };
    fs.mkdirSync(path.dirname(resultFile), { recursive: true });
    fs.writeFileSync(resultFile, `${JSON.stringify(result, null, 2)}\n`);
    expect(paths.every((p) => p.leakedResources === 0 && p.leakedClusterMinutes === 0)).toBe(true);
  });
});
