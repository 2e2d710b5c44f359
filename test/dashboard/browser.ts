import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import puppeteer, { Browser, Page } from 'puppeteer-core';
import { repoRoot } from '../support/canopyUnderTest';

/** Debian's Chromium (scripts/ensure-chromium.sh installs it), or the binary CANOPY_CHROMIUM names. */
export function chromiumPath(): string {
  const named = process.env.CANOPY_CHROMIUM;
  if (named) return named;
  for (const candidate of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${candidate}`], { encoding: 'utf8' }).trim();
    } catch {
      // try the next name
    }
  }
  throw new Error('Chromium is missing: run `bash scripts/ensure-chromium.sh` (apt-get install -y chromium) or set CANOPY_CHROMIUM');
}

export function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    // As root (CI, containers) Chromium refuses its sandbox; /dev/shm is small in containers.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--font-render-hinting=none'],
  });
}

export const widths = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } } as const;

/** A dashboard tab: opens hash routes and waits for the page's own "rendered" signal. */
export class DashboardTab {
  constructor(
    readonly page: Page,
    readonly baseUrl: string,
  ) {}

  static async open(
    browser: Browser,
    baseUrl: string,
    viewport: { width: number; height: number } = widths.desktop,
  ): Promise<DashboardTab> {
    const page = await browser.newPage();
    // axe-core is injected as an inline script, which the app's CSP (rightly) refuses.
    await page.setBypassCSP(true);
    await page.setViewport(viewport);
    return new DashboardTab(page, baseUrl);
  }

  private renders(): Promise<number> {
    return this.page.evaluate('Number(document.getElementById("main")?.dataset.renders ?? 0)') as Promise<number>;
  }

  /** Loads the app fresh at a route (a full page load). */
  async load(route: string): Promise<void> {
    // A goto that changes only the hash would stay in the same document: leave it first.
    await this.page.goto('about:blank');
    await this.page.goto(`${this.baseUrl}/api/dashboard/#${route}`, { waitUntil: 'domcontentloaded' });
    await this.page.waitForFunction('Number(document.getElementById("main")?.dataset.renders ?? 0) >= 1', { timeout: 60_000 });
  }

  /** Navigates within the loaded app, as a click on a link does. */
  async go(route: string): Promise<void> {
    if (!this.page.url().includes('/api/dashboard/')) return this.load(route);
    const before = await this.renders();
    await this.page.evaluate(`location.hash = ${JSON.stringify(route)}`);
    await this.page.waitForFunction(`Number(document.getElementById("main")?.dataset.renders ?? 0) > ${before}`, { timeout: 60_000 });
  }

  text(selector: string): Promise<string> {
    return this.page.$eval(selector, (el) => (el.textContent ?? '').trim());
  }

  /** The cells of a table, row by row (header row left out). */
  tableCells(selector: string): Promise<string[][]> {
    return this.page.$$eval(`${selector} tbody tr`, (rows) =>
      rows.map((row) =>
        Array.from(row.querySelectorAll('td') as ArrayLike<{ textContent: string | null }>).map((cell) => (cell.textContent ?? '').trim()),
      ),
    );
  }

  /** Clicks a button that opens the confirmation dialog, then confirms. */
  async clickConfirmed(selector: string): Promise<void> {
    await this.page.click(selector);
    await this.page.waitForSelector('dialog[open] #confirm-yes');
    await this.page.click('dialog[open] #confirm-yes');
  }

  /** axe-core's serious and critical violations on the page as it is now. */
  async seriousViolations(): Promise<{ id: string; impact: string; help: string; targets: string[] }[]> {
    const hasAxe = await this.page.evaluate('typeof window.axe !== "undefined"');
    if (!hasAxe)
      await this.page.addScriptTag({ content: fs.readFileSync(path.join(repoRoot, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8') });
    const result = (await this.page.evaluate(
      `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => String(n.target)) })))`,
    )) as { id: string; impact: string; help: string; targets: string[] }[];
    return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  }

  async close(): Promise<void> {
    await this.page.close();
  }
}
