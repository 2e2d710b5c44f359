import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { CosmosDeploymentMetrics } from '../../shared/adapters/azure/cosmosDeploymentMetrics';
import { CosmosSpecStore } from '../../shared/adapters/azure/cosmosSpecStore';
import { openCanopyContainers } from '../../shared/adapters/azure/cosmosSchema';
import { emptyWindow, recordInto } from '../../shared/domain/deploymentMetrics';
import { DashboardSeed, seedDashboard } from '../../bench/dashboardSeed';
import { CanopyUnderTest, repoRoot, stores } from '../support/canopyUnderTest';
import { Json } from '../support/json';
import { testCosmosClient } from '../support/testStack';

/** The dashboard's API on the real devhost and local stack, over a seeded run history. */
describe('dashboard API', () => {
  let canopy: CanopyUnderTest;
  let seed: DashboardSeed;
  let session: { token: string; cookie: string };
  const pipeline = `dash-${Date.now().toString(36)}`;
  const now = new Date();

  const ui = async (route: string, init: RequestInit = {}): Promise<{ status: number; body: Json; headers: Headers }> => {
    const res = await fetch(`${canopy.host.baseUrl}/api/ui/${route}`, init);
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Json) : undefined, headers: res.headers };
  };

  /** A request as a browser on `host` makes it, by node:http (fetch does not let a caller name the Host). */
  const asHost = (path: string, host: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: Json }>((resolve, reject) => {
      const url = new URL(`${canopy.host.baseUrl}${path}`);
      http
        .get({ hostname: url.hostname, port: url.port, path, headers: { host, ...headers } }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Json) : undefined }));
        })
        .on('error', reject);
    });

  beforeAll(async () => {
    canopy = await CanopyUnderTest.start();
    const containers = await openCanopyContainers(testCosmosClient(), 'canopy');
    const { runs, registry, ledger } = await stores();
    seed = await seedDashboard(
      { runs, registry, specs: new CosmosSpecStore(containers.specs) },
      { pipeline, runs: 30, candidatesPerRun: 3, now },
    );
    const newest = seed.instanceIds[0];
    await ledger.record({
      id: `cluster-${pipeline}`,
      kind: 'cluster',
      name: `cl-${pipeline}`,
      target: 'local-spark',
      pipeline,
      instanceId: newest,
      createdAt: new Date(now.getTime() - 600_000).toISOString(),
      expiresAt: new Date(now.getTime() + 3_000_000).toISOString(),
      // Attached, not created: the host's reaper (at start and every five minutes) deletes an owned cluster whose
      // run has ended, and the seeded run has; the page lists both kinds the same way.
      owned: false,
    });
    const windowStart = new Date(Math.floor(now.getTime() / 60_000) * 60_000 - 120_000).toISOString();
    const window = emptyWindow(pipeline, `${pipeline}-v1`, seed.productionVersion, windowStart);
    for (const ms of [5, 6, 7, 200]) recordInto(window, ms, ms > 100);
    await new CosmosDeploymentMetrics(containers.models).add([window]);
    const res = await fetch(`${canopy.host.baseUrl}/api/ui/session`);
    const body = (await res.json()) as Json;
    session = { token: body.csrfToken, cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] };
  }, 300_000);

  afterAll(async () => {
    await canopy?.stop();
  });

  describe('access on the local stack', () => {
    it('gives a loopback caller its session: the user, and the CSRF token in the body and an HttpOnly SameSite cookie', async () => {
      const res = await fetch(`${canopy.host.baseUrl}/api/ui/session`);
      const cookie = res.headers.get('set-cookie') ?? '';
      const body = (await res.json()) as Json;
      expect(res.status).toBe(200);
      expect(body).toMatchObject({ runtime: 'local', user: { authType: 'loopback' } });
      expect(body.csrfToken).toMatch(/^[0-9a-f]{64}$/);
      expect(cookie).toContain(`canopy-csrf=${body.csrfToken}`);
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Strict/);
      expect(res.headers.get('cache-control')).toBe('no-store');
    });

    it('refuses a request whose Host is not loopback (a rebound name), whatever x-forwarded-for the client claims', async () => {
      const refused = await asHost('/api/ui/pipelines', 'dashboard.evil.example', { 'x-forwarded-for': '127.0.0.1' });
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('AUTH.NOT_LOOPBACK');
      // The host reports the real client address over the client's claim, so a loopback caller stays in.
      expect(
        (await asHost('/api/ui/pipelines', `localhost:${new URL(canopy.host.baseUrl).port}`, { 'x-forwarded-for': '203.0.113.9' })).status,
      ).toBe(200);
    });

    it('needs no function key, and the keyed API still does', async () => {
      expect((await ui('pipelines')).status).toBe(200);
      expect((await canopy.api('GET', 'pipelines', undefined, null)).status).toBe(401);
    });
  });

  describe('cross-site protection of actions', () => {
    const cancelRoute = () => `pipelines/${pipeline}/runs/${seed.instanceIds[0]}/cancel`;

    it('refuses an action without the token, with a token that is not the cookie, and from another origin', async () => {
      const without = await ui(cancelRoute(), { method: 'POST', headers: { cookie: session.cookie } });
      const mismatched = await ui(cancelRoute(), { method: 'POST', headers: { cookie: session.cookie, 'x-canopy-csrf': 'a'.repeat(64) } });
      const crossOrigin = await ui(cancelRoute(), {
        method: 'POST',
        headers: { cookie: session.cookie, 'x-canopy-csrf': session.token, origin: 'https://evil.example' },
      });
      for (const refused of [without, mismatched, crossOrigin]) {
        expect(refused.status).toBe(403);
        expect(refused.body.error.code).toBe('AUTH.CSRF');
      }
    });

    it('passes a same-origin action with the token on to the keyed handler', async () => {
      const res = await ui(cancelRoute(), {
        method: 'POST',
        headers: { cookie: session.cookie, 'x-canopy-csrf': session.token, origin: canopy.host.baseUrl, 'sec-fetch-site': 'same-origin' },
      });
      // The seeded run has no orchestration: the keyed cancel's own answer.
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('RUN.NOT_FOUND');
    });
  });

  describe('reads', () => {
    it('lists the pipeline with its last run, schedule and production model', async () => {
      const { body } = await ui('pipelines');
      const overview = body.pipelines.find((p: Json) => p.name === pipeline);
      expect(overview.lastRun.instanceId).toBe(seed.instanceIds[0]);
      expect(overview.schedule).toBeNull();
      expect(overview.production).toMatchObject({ model: pipeline, version: seed.productionVersion });
      expect(overview.production.accuracy).toBeGreaterThan(0.5);
    });

    it('pages the runs newest first with continuation, with duration, cost, node-minutes and best metric', async () => {
      const first = await ui(`pipelines/${pipeline}/runs?top=10`);
      expect(first.body.runs.map((r: Json) => r.instanceId)).toEqual(seed.instanceIds.slice(0, 10));
      expect(first.body.continuation).toEqual(expect.any(String));
      const second = await ui(`pipelines/${pipeline}/runs?top=10&continuation=${encodeURIComponent(first.body.continuation)}`);
      expect(second.body.runs.map((r: Json) => r.instanceId)).toEqual(seed.instanceIds.slice(10, 20));
      const run = first.body.runs[0];
      expect(run.durationSeconds).toBeGreaterThan(0);
      expect(run).toEqual(
        expect.objectContaining({ costUsd: expect.any(Number), nodeMinutes: expect.any(Number), trigger: expect.any(String) }),
      );
    });

    it('filters by status and trigger and sorts by cost in the store', async () => {
      const failed = await ui(`pipelines/${pipeline}/runs?status=failed&top=100`);
      expect(failed.body.runs.length).toBeGreaterThan(0);
      expect(failed.body.runs.every((r: Json) => r.status === 'failed')).toBe(true);
      const scheduled = await ui(`pipelines/${pipeline}/runs?trigger=schedule&top=100`);
      expect(scheduled.body.runs.length).toBe(10);
      const byCost = (await ui(`pipelines/${pipeline}/runs?sort=costUsd&order=asc&top=100`)).body.runs.map((r: Json) => r.costUsd);
      expect(byCost).toHaveLength(30);
      expect(byCost).toEqual([...byCost].sort((a, b) => a - b));
      const byBest = (await ui(`pipelines/${pipeline}/runs?sort=bestValue&top=100`)).body.runs.map((r: Json) => r.best.value);
      expect(byBest).toEqual([...byBest].sort((a, b) => b - a));
      expect((await ui(`pipelines/${pipeline}/runs?sort=name`)).status).toBe(400);
    });

    it('shows a run: stage timeline in order, candidates as bars on its axis, decision and cost', async () => {
      const { body } = await ui(`pipelines/${pipeline}/runs/${seed.instanceIds[0]}`);
      expect(body.timeline.map((s: Json) => s.stage)).toEqual(['validate', 'provision', 'copy', 'train', 'select', 'teardown']);
      expect(body.timeline[1].startOffsetSeconds).toBe(body.timeline[0].seconds);
      expect(body.candidates).toHaveLength(3);
      expect(body.candidates[0].startOffsetSeconds).toBeCloseTo(body.timeline[3].startOffsetSeconds, 0);
      expect(body.costUsd).toBe(body.run.costUsd);
      expect(body.live).toBe(false);
      expect(body.failure).toBeNull();
    });

    it('shows a failed run with its error and the end of the failed job log', async () => {
      const failedId = seed.instanceIds[seed.instanceIds.length - 1];
      const { body } = await ui(`pipelines/${pipeline}/runs/${failedId}`);
      expect(body.run.status).toBe('failed');
      expect(body.failure.error.code).toBe('TRAIN.ALL_FAILED');
      expect(body.failure.logTail).toMatch(/MemoryError: seeded failure/);
    });

    it('gives a candidate its whole metrics.json', async () => {
      const run = (await ui(`pipelines/${pipeline}/runs/${seed.instanceIds[0]}`)).body;
      const candidateId = run.candidates[1].candidateId;
      const { body } = await ui(`pipelines/${pipeline}/runs/${seed.instanceIds[0]}/candidates/${candidateId}`);
      const stored = await (await stores()).runs.getCandidateRun(pipeline, seed.instanceIds[0], candidateId);
      expect(body.metrics.confusionMatrix).toEqual(stored!.metrics!.confusionMatrix);
      expect(body.candidate.candidateId).toBe(candidateId);
      expect((await ui(`pipelines/${pipeline}/runs/${seed.instanceIds[0]}/candidates/nope`)).status).toBe(404);
    });

    it('ranks the leaderboard in the store as the keyed leaderboard ranks it', async () => {
      const dashboard = (await ui(`pipelines/${pipeline}/leaderboard?top=5`)).body;
      const keyed = (await canopy.api('GET', `pipelines/${pipeline}/leaderboard?top=5`)).body;
      expect(dashboard.leaderboard).toHaveLength(5);
      expect(dashboard.leaderboard.map((r: Json) => r.value)).toEqual(keyed.leaderboard.map((r: Json) => r.value));
      const auc = (await ui(`pipelines/${pipeline}/leaderboard?metric=macroRocAuc&top=3`)).body.leaderboard;
      expect(auc[0].value).toBeGreaterThanOrEqual(auc[2].value);
    });

    it('shows the model with lineage, its deployments and per-minute scoring metrics', async () => {
      const model = (await ui(`models/${pipeline}`)).body;
      expect(model.versions[0]).toMatchObject({ version: seed.productionVersion, stage: 'production', lineage: { pipeline } });
      const series = (await ui(`models/${pipeline}/metrics/series?minutes=10`)).body;
      expect(series.deployments).toHaveLength(1);
      expect(series.deployments[0].points).toEqual([expect.objectContaining({ requests: 4, errors: 1 })]);
      expect(series.deployments[0].points[0].p99LatencyMs).toBeGreaterThan(series.deployments[0].points[0].p50LatencyMs);
    });

    it('lists live resources with owner run, age, expiry countdown and cost so far, and cost per run over time', async () => {
      const { body } = await ui('resources');
      const cluster = body.resources.find((r: Json) => r.id === `cluster-${pipeline}`);
      const run = (await ui(`pipelines/${pipeline}/runs/${seed.instanceIds[0]}`)).body.run;
      expect(cluster).toMatchObject({ kind: 'cluster', instanceId: seed.instanceIds[0], costUsdSoFar: run.costUsd });
      expect(cluster.ageSeconds).toBeGreaterThanOrEqual(600);
      expect(cluster.expiresInSeconds).toBeGreaterThan(2_900);
      expect(body).toHaveProperty('lastReaperPass');
      const cost = (await ui(`cost?pipeline=${pipeline}&days=30`)).body.runs;
      expect(cost).toHaveLength(30);
      expect(cost[cost.length - 1].instanceId).toBe(seed.instanceIds[0]);
    });

    it('answers 404 for an unknown batch-scoring run and lists batch runs', async () => {
      expect((await ui('batch-scoring/batch-0123456789abcdef0123456789abcdef/gallery')).status).toBe(404);
      expect((await ui('batch-scoring')).body.runs).toEqual(expect.any(Array));
    });
  });

  it('describes every dashboard route in the OpenAPI document', async () => {
    const doc = (await canopy.api('GET', 'openapi.json', undefined, null)).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/ui/session',
        '/ui/pipelines',
        '/ui/pipelines/{name}/runs',
        '/ui/pipelines/{name}/runs/{instanceId}',
        '/ui/pipelines/{name}/runs/{instanceId}/candidates/{candidateId}',
        '/ui/pipelines/{name}/runs/{instanceId}/cancel',
        '/ui/pipelines/{name}/leaderboard',
        '/ui/cost',
        '/ui/models',
        '/ui/models/{name}',
        '/ui/models/{name}/metrics/series',
        '/ui/models/{name}/versions/{version}/promote',
        '/ui/models/{name}/rollback',
        '/ui/models/{name}/traffic',
        '/ui/models/{name}/score',
        '/ui/batch-scoring',
        '/ui/batch-scoring/{id}',
        '/ui/batch-scoring/{id}/gallery',
        '/ui/batch-scoring/{id}/images/{blob}',
        '/ui/resources',
        '/dashboard/{path}',
      ]),
    );
    expect(doc.paths['/ui/models/{name}/traffic'].put.parameters).toContainEqual(
      expect.objectContaining({ name: 'x-canopy-csrf', in: 'header' }),
    );
  });

  describe('serving the SPA', () => {
    it('serves a file of dist/dashboard/ with its type, caching and CSP', async () => {
      const dir = path.join(repoRoot, 'dist', 'dashboard');
      const name = `h3-probe-${process.pid}-4F2A9C1B.css`;
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, name), 'body { color: black }');
      try {
        const res = await fetch(`${canopy.host.baseUrl}/api/dashboard/${name}`);
        expect(res.status).toBe(200);
        expect(await res.text()).toBe('body { color: black }');
        expect(res.headers.get('content-type')).toBe('text/css; charset=utf-8');
        expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
        expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      } finally {
        fs.rmSync(path.join(dir, name), { force: true });
      }
    });

    it('never serves a file outside the dashboard folder', async () => {
      const res = await fetch(`${canopy.host.baseUrl}/api/dashboard/%2e%2e/functions/health.js`);
      expect(res.status).toBe(404);
    });
  });
});
