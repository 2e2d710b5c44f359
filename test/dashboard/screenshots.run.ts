import fs from 'node:fs';
import path from 'node:path';
import { repoRoot, stores } from '../support/canopyUnderTest';
import { DashboardTab, launchBrowser, widths } from './browser';
import { startDashboardWorld } from './fixture';

// `npm run screenshots`: a PNG of every dashboard page at 1280 and 390 px under docs/screenshots/, from a real pipeline
// run on the local stack (the same world the browser tests use).
const outDir = path.join(repoRoot, 'docs', 'screenshots');

jest.setTimeout(30 * 60_000);

it('writes a screenshot of every page at both widths', async () => {
  const world = await startDashboardWorld();
  const browser = await launchBrowser();
  try {
    const { runs } = await stores();
    const best = (await runs.listCandidateRuns(world.pipeline, world.instanceId)).find((c) => c.status === 'succeeded')!;
    const p = encodeURIComponent(world.pipeline);
    const run = `/pipelines/${p}/runs/${encodeURIComponent(world.instanceId)}`;
    const pages: [string, string][] = [
      ['pipelines', '/'],
      ['runs', `/pipelines/${p}`],
      ['run', run],
      ['compare', `/pipelines/${p}/compare`],
      ['candidate', `${run}/candidates/${encodeURIComponent(best.candidateId)}`],
      ['models', '/models'],
      ['model', `/models/${p}`],
      ['try-it', `/try?model=${p}`],
      ['batch-runs', '/batch'],
      ['batch-run', `/batch/${encodeURIComponent(world.batchId)}`],
      ['resources', '/resources'],
    ];
    fs.mkdirSync(outDir, { recursive: true });
    const written: string[] = [];
    for (const [label, viewport] of Object.entries(widths)) {
      const tab = await DashboardTab.open(browser, world.canopy.host.baseUrl, viewport);
      for (const [name, route] of pages) {
        await tab.load(route);
        // The charts draw on the next animation frame.
        await tab.page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
        const file = path.join(outDir, `${name}-${viewport.width}.png`);
        await tab.page.screenshot({ path: file as `${string}.png`, fullPage: true });
        written.push(file);
      }
      await tab.close();
      console.log(`${label}: ${pages.length} pages`);
    }
    expect(written.every((file) => fs.statSync(file).size > 10_000)).toBe(true);
  } finally {
    await browser.close();
    await world.stop();
  }
});
