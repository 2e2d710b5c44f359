import fs from 'node:fs';
import path from 'node:path';
import { Browser } from 'puppeteer-core';
import { blobService, stores } from '../support/canopyUnderTest';
import { Json } from '../support/json';
import { DashboardTab, launchBrowser, widths } from './browser';
import { DashboardWorld, startDashboardWorld } from './fixture';

jest.setTimeout(20 * 60_000);

/** The candidate's metrics.json as the job wrote it (from its blob), not as any API shows it. */
async function metricsJsonOf(artifact: string): Promise<Json> {
  const base = blobService.url.replace(/\/$/, '');
  if (!artifact.startsWith(base)) throw new Error(`metrics.json is not in the test storage: ${artifact}`);
  const [container, ...name] = decodeURIComponent(artifact.slice(base.length + 1)).split('/');
  const buffer = await blobService.getContainerClient(container).getBlobClient(name.join('/')).downloadToBuffer();
  return JSON.parse(buffer.toString('utf8'));
}

function matrixOf(metrics: Json): { labels: string[]; matrix: number[][] } {
  const cm = metrics.confusionMatrix;
  return Array.isArray(cm) ? { labels: metrics.labels, matrix: cm } : cm;
}

describe('dashboard in headless Chromium, after a real pipeline run', () => {
  let world: DashboardWorld;
  let browser: Browser;
  let tab: DashboardTab;
  let baseUrl: string;
  const routes: string[] = [];

  beforeAll(async () => {
    world = await startDashboardWorld();
    baseUrl = world.canopy.host.baseUrl;
    browser = await launchBrowser();
    tab = await DashboardTab.open(browser, baseUrl);
    const p = encodeURIComponent(world.pipeline);
    const run = `/pipelines/${p}/runs/${encodeURIComponent(world.instanceId)}`;
    routes.push(
      '/',
      `/pipelines/${p}`,
      run,
      `/pipelines/${p}/compare`,
      `/models`,
      `/models/${p}`,
      `/try?model=${p}`,
      '/batch',
      `/batch/${encodeURIComponent(world.batchId)}`,
      '/resources',
    );
  });
  afterAll(async () => {
    await browser?.close();
    await world?.stop();
  });

  it('lists the pipeline with its last run and production model, and its runs', async () => {
    await tab.load('/');
    const row = (await tab.tableCells('#pipelines')).find((cells) => cells[0] === world.pipeline);
    expect(row).toBeDefined();
    expect(row![2]).toMatch(/succeeded/);
    expect(row![4]).toBe(`${world.pipeline} v1`);

    await tab.go(`/pipelines/${world.pipeline}`);
    const runs = await tab.page.$$eval('#runs tbody tr', (rows) => rows.map((r) => r.getAttribute('data-instance-id')));
    expect(runs).toContain(world.instanceId);
    expect(await tab.text('#runs-count')).toMatch(/^\d+ runs? shown/);
  });

  it('shows a finished run: every stage done, the decision, and its candidates', async () => {
    await tab.go(`/pipelines/${world.pipeline}/runs/${world.instanceId}`);
    const states = await tab.page.$$eval('#stages li', (items) => items.map((li) => li.getAttribute('data-state')));
    expect(states).toEqual(Array(8).fill('done'));
    expect(await tab.text('#decision')).toMatch(/^Promoted — no production model yet/);
    const candidates = await tab.tableCells('#candidates');
    expect(candidates.map((c) => c[4]).sort()).toEqual(['failed', 'succeeded']);
    expect(await tab.page.$eval('#cancel-run', (button) => button.hasAttribute('hidden'))).toBe(true);
  });

  it("draws a candidate whose confusion-matrix cells equal the run's metrics.json", async () => {
    const { runs } = await stores();
    const best = (await runs.listCandidateRuns(world.pipeline, world.instanceId)).find((c) => c.status === 'succeeded')!;
    const metrics = await metricsJsonOf(best.artifacts!.metrics!);
    const expected = matrixOf(metrics);
    const route = `/pipelines/${world.pipeline}/runs/${world.instanceId}/candidates/${best.candidateId}`;
    routes.push(route);
    await tab.go(route);
    const cells = await tab.tableCells('#confusion-matrix');
    expect(cells.map((row) => row.slice(1).map(Number))).toEqual(expected.matrix);
    expect(cells.map((row) => row[0])).toEqual(expected.labels);
    expect(await tab.page.$$('.chart canvas')).not.toHaveLength(0);

    await tab.go(`/pipelines/${world.pipeline}/compare`);
    const board = await tab.tableCells('#leaderboard');
    expect(board).toHaveLength(1);
    expect(board[0][2]).toBe(best.candidateId);
  });

  it('shows the traffic split the registry holds, and promote, roll back and a new split change the registry', async () => {
    const { registry } = await stores();
    const model = world.pipeline;
    const shownSplit = async () =>
      Object.fromEntries(
        await tab.page.$$eval('[data-traffic]', (els) =>
          els.map((e) => [e.getAttribute('data-traffic'), parseInt(e.textContent ?? '', 10)]),
        ),
      );
    const registrySplit = async () => Object.fromEntries((await registry.listDeployments(model)).map((d) => [d.name, d.trafficPercent]));
    const waitFor = async (check: () => Promise<boolean>) => {
      const deadline = Date.now() + 30_000;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error('the registry did not change');
        await new Promise((r) => setTimeout(r, 300));
      }
    };
    await tab.go(`/models/${model}`);
    expect(await shownSplit()).toEqual(await registrySplit());

    await tab.clickConfirmed('[data-promote="2"]');
    await waitFor(async () => (await registry.getProduction(model))?.version === 2);
    await tab.page.waitForFunction('document.getElementById("model-feedback")?.textContent === "v2 promoted"');
    expect(await registrySplit()).toEqual(
      expect.objectContaining({ [`${(await registry.listDeployments(model)).find((d) => d.version === 2)!.name}`]: 100 }),
    );
    expect(await shownSplit()).toEqual(await registrySplit());

    await tab.clickConfirmed('#rollback');
    await waitFor(async () => (await registry.getProduction(model))?.version === 1);

    await tab.page.waitForFunction('document.getElementById("model-feedback")?.textContent === "Rolled back"');
    const deployments = await registry.listDeployments(model);
    const [first, second] = deployments.map((d) => d.name);
    await tab.page.$eval(`#traffic-${first}`, (input) => ((input as unknown as { value: string }).value = '30'));
    await tab.page.$eval(`#traffic-${second}`, (input) => ((input as unknown as { value: string }).value = '70'));
    await tab.clickConfirmed('#traffic-form button[type="submit"]');
    await waitFor(async () => (await registrySplit())[first] === 30);
    expect(await registrySplit()).toEqual({ [first]: 30, [second]: 70 });
    await tab.page.waitForFunction(`document.querySelector('[data-traffic="${first}"]')?.textContent === '30 %'`);
    expect(await shownSplit()).toEqual({ [first]: 30, [second]: 70 });
  });

  it("try-it shows the scorer's prediction for an uploaded image", async () => {
    const labels = fs.readdirSync(path.join(world.data, 'test')).sort();
    const image = path.join(world.data, 'test', labels[2], fs.readdirSync(path.join(world.data, 'test', labels[2]))[0]);
    const { registry } = await stores();
    const [deployment] = await registry.listDeployments(world.pipeline);
    const direct = await fetch(`${deployment.endpoint}/score`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ images: [fs.readFileSync(image).toString('base64')] }),
    });
    const expected = ((await direct.json()) as Json).predictions[0].label;

    await tab.go(`/try?model=${world.pipeline}`);
    const input = await tab.page.$('#try-image');
    await (input as unknown as { uploadFile(file: string): Promise<void> }).uploadFile(image);
    await tab.page.click('#try-form button[type="submit"]');
    await tab.page.waitForSelector('#predicted-label, #prediction [role="alert"]', { timeout: 30_000 });
    expect(await tab.text('#predicted-label')).toBe(expected);
  });

  it('shows the batch scoring run with its summary and gallery, and the live resources', async () => {
    await tab.go(`/batch/${world.batchId}`);
    expect(await tab.text('#batch-summary')).toMatch(/^\d+ of \d+ images scored/);
    const gallery = await tab.page.$$('#gallery li');
    expect(gallery.length).toBeGreaterThan(0);
    await tab.go('/resources');
    expect(await tab.text('#reaper')).toMatch(/Last pass|has not run/);
  });

  it('follows a live run without a reload, and its cancel button cancels it', async () => {
    const started = await world.canopy.api('POST', `pipelines/${world.pipeline}/runs`, { dataVersion: 'dashboard-live' });
    expect(started.status).toBe(202);
    const instanceId = started.body.instanceId as string;
    await tab.go(`/pipelines/${world.pipeline}/runs/${instanceId}`);
    await tab.page.evaluate('window.__sameDocument = true');
    const firstStage = await tab.page.$eval('.page', (el) => el.getAttribute('data-stage'));
    await tab.page.waitForFunction(`document.querySelector('.page')?.dataset.stage !== ${JSON.stringify(firstStage)}`, {
      timeout: 180_000,
    });
    expect(await tab.page.evaluate('window.__sameDocument')).toBe(true);

    await tab.page.waitForSelector('#cancel-run');
    await tab.clickConfirmed('#cancel-run');
    const ended = await world.canopy.waitForEnd(world.pipeline, instanceId);
    expect(ended.run.status).toBe('cancelled');
    await tab.page.waitForFunction(`document.getElementById('run-live')?.textContent?.startsWith('Finished')`, { timeout: 60_000 });
    expect(await tab.page.evaluate('window.__sameDocument')).toBe(true);
  });

  it('has no serious or critical axe-core violations on any page, at 1280 and 390 px', async () => {
    const found: string[] = [];
    for (const viewport of [widths.desktop, widths.phone]) {
      await tab.page.setViewport(viewport);
      for (const route of routes) {
        await tab.load(route);
        for (const v of await tab.seriousViolations())
          found.push(`${viewport.width}px ${route}: ${v.id} (${v.impact}) ${v.help} at ${v.targets.join(' ')}`);
      }
    }
    expect(found).toEqual([]);
  });
});
