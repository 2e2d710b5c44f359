import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CosmosModelRegistry } from '../shared/adapters/azure/cosmosModelRegistry';
import { CosmosRunStore } from '../shared/adapters/azure/cosmosRunStore';
import { openCanopyContainers } from '../shared/adapters/azure/cosmosSchema';
import { CosmosSpecStore } from '../shared/adapters/azure/cosmosSpecStore';
import { CanopyUnderTest, repoRoot } from '../test/support/canopyUnderTest';
import { testCosmosClient } from '../test/support/testStack';
import { DashboardTab, launchBrowser } from '../test/dashboard/browser';
import { seedDashboard } from './dashboardSeed';

// `npm run bench:dashboard`: seeds 1,000 runs and 20,000 candidate records on the real local stack, then measures in
// headless Chromium the first render of the runs page and of a run page (a fresh page load each time, to the app's
// own "rendered" mark, with the Performance API); writes bench/results/dashboard.json. Goal: under 1 s each.
const resultFile = path.join(repoRoot, 'bench', 'results', 'dashboard.json');
const loads = 5;
/** Fewer for a quick look; the recorded result uses the default 1,000 (20,000 candidates). */
const seededRuns = Number(process.env.BENCH_DASHBOARD_RUNS ?? 1000);
const goalMs = 1000;

jest.setTimeout(30 * 60_000);

/** Milliseconds from navigation start to the page's `canopy:rendered:<path>` mark, over `loads` fresh loads. */
async function firstRenders(tab: DashboardTab, route: string): Promise<number[]> {
  const mark = `canopy:rendered:${route}`;
  const times: number[] = [];
  for (let i = 0; i < loads; i++) {
    await tab.load(route);
    const ms = (await tab.page.evaluate(`performance.getEntriesByName(${JSON.stringify(mark)}, 'mark')[0]?.startTime`)) as
      number | undefined;
    if (ms === undefined) throw new Error(`no ${mark} mark: the page did not render`);
    times.push(Math.round(ms));
  }
  return times;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** The API's own answer time for the page's data (from Node, no browser), to tell server time from browser time. */
async function apiTimes(baseUrl: string, route: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < loads; i++) {
    const begin = performance.now();
    const res = await fetch(`${baseUrl}/api/ui/${route}`);
    await res.text();
    if (!res.ok) throw new Error(`GET /api/ui/${route}: ${res.status}`);
    times.push(Math.round(performance.now() - begin));
  }
  return times;
}

describe('dashboard first render with a long history', () => {
  let canopy: CanopyUnderTest;
  afterAll(async () => {
    await canopy?.stop();
  });

  it('renders the runs page and a run page in under a second each', async () => {
    const containers = await openCanopyContainers(testCosmosClient(), 'canopy');
    const seedStarted = Date.now();
    const seed = await seedDashboard(
      {
        runs: new CosmosRunStore(containers.runs),
        specs: new CosmosSpecStore(containers.specs),
        registry: new CosmosModelRegistry(containers.models),
      },
      { runs: seededRuns },
    );
    const seedSeconds = (Date.now() - seedStarted) / 1000;
    canopy = await CanopyUnderTest.start();
    const browser = await launchBrowser();
    try {
      const tab = await DashboardTab.open(browser, canopy.host.baseUrl);
      // One load first, so the server's first-call costs (module loading, Cosmos connections) are not the browser's.
      await tab.load(`/pipelines/${seed.pipeline}`);
      const runsRoute = `/pipelines/${seed.pipeline}`;
      const runRoute = `/pipelines/${seed.pipeline}/runs/${seed.instanceIds[0]}`;
      const runsPage = await firstRenders(tab, runsRoute);
      const rowsShown = (await tab.page.$$('#runs tbody tr')).length;
      const runPage = await firstRenders(tab, runRoute);
      const candidatesShown = (await tab.page.$$('#candidates tbody tr')).length;
      const runsApi = await apiTimes(canopy.host.baseUrl, `pipelines/${seed.pipeline}/runs?top=50`);
      const runApi = await apiTimes(canopy.host.baseUrl, `pipelines/${seed.pipeline}/runs/${seed.instanceIds[0]}`);
      const result = {
        date: new Date().toISOString(),
        machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30) },
        browser: (await browser.version()).trim(),
        data: { pipeline: seed.pipeline, runs: seed.runs, candidates: seed.candidates, seedSeconds },
        goalMs,
        measure: "fresh page load to the app's canopy:rendered mark (Performance API), median of the loads",
        runsPage: { route: runsRoute, rowsShown, firstRenderMs: median(runsPage), loadsMs: runsPage, apiMs: runsApi },
        runPage: { route: runRoute, candidatesShown, firstRenderMs: median(runPage), loadsMs: runPage, apiMs: runApi },
      };
      fs.mkdirSync(path.dirname(resultFile), { recursive: true });
      fs.writeFileSync(resultFile, `${JSON.stringify(result, null, 2)}\n`);
      console.log(JSON.stringify(result, null, 2));
      expect(rowsShown).toBeGreaterThan(0);
      expect(candidatesShown).toBe(seed.candidates / seed.runs);
      expect(result.runsPage.firstRenderMs).toBeLessThan(goalMs);
      expect(result.runPage.firstRenderMs).toBeLessThan(goalMs);
    } finally {
      await browser.close();
    }
  });
});
