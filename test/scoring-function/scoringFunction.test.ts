import { freePort } from '../support/devhostProcess';
import { CanopyUnderTest, stores } from '../support/canopyUnderTest';
import { DeploymentRecord, ModelRegistry } from '../../shared/ports/modelRegistry';
import { FakeDeployment, startFakeDeployment } from './fakeDeployments';
import { registerModel as registerTestModel } from './registeredModels';

// The scoring function on a real devhost against the real test stack; the deployments behind it are small
// HTTP servers (the function is a proxy) whose behaviour each test sets.
let canopy: CanopyUnderTest;
let registry: ModelRegistry;
const fakes: FakeDeployment[] = [];
const scoringTimeoutMs = 1500;

beforeAll(async () => {
  // The containers first: the host's own start creates them too, and two creates at once conflict.
  registry = (await stores()).registry;
  canopy = await CanopyUnderTest.start({ CANOPY_SCORING_TIMEOUT_MS: String(scoringTimeoutMs) });
});

afterAll(async () => {
  await canopy?.stop();
  await Promise.all(fakes.map((f) => f.close()));
});

async function fake(name: string, behaviour: FakeDeployment['behaviour'] = 'answer'): Promise<FakeDeployment> {
  const f = await startFakeDeployment(name, behaviour);
  fakes.push(f);
  return f;
}

function registerModel(model: string, deployments: { endpoint: string; trafficPercent: number }[]): Promise<DeploymentRecord[]> {
  return registerTestModel(registry, model, deployments);
}

interface Scored {
  status: number;
  deployment: string | null;
  attempts: string | null;
  version: string | null;
  body: { answeredBy?: string; error?: { code: string; message: string } };
}

async function score(
  model: string,
  body: string | Uint8Array = JSON.stringify({ data: [[0, 1, 2]] }),
  contentType?: string,
): Promise<Scored> {
  const headers: Record<string, string> = { 'x-functions-key': canopy.host.functionKey };
  if (contentType !== undefined) headers['content-type'] = contentType;
  else if (typeof body === 'string') headers['content-type'] = 'application/json';
  const res = await fetch(`${canopy.host.baseUrl}/api/models/${model}/score`, { method: 'POST', headers, body });
  const text = await res.text();
  return {
    status: res.status,
    deployment: res.headers.get('x-canopy-deployment'),
    attempts: res.headers.get('x-canopy-attempts'),
    version: res.headers.get('x-canopy-model-version'),
    body: text ? JSON.parse(text) : {},
  };
}

/** `count` score requests, `concurrency` at a time. */
async function scoreMany(model: string, count: number, concurrency = 8): Promise<Scored[]> {
  const results: Scored[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next += 1;
        results.push(await score(model));
      }
    }),
  );
  return results;
}

function tally(results: Scored[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) counts[`${r.status} ${r.deployment}`] = (counts[`${r.status} ${r.deployment}`] ?? 0) + 1;
  return counts;
}

describe('POST /api/models/{name}/score', () => {
  it('splits 90/10 within ±3 points over 2,000 requests and forwards the body and its content type', async () => {
    const [champion, challenger] = [await fake('champion'), await fake('challenger')];
    await registerModel('split', [
      { endpoint: champion.endpoint, trafficPercent: 90 },
      { endpoint: challenger.endpoint, trafficPercent: 10 },
    ]);
    const results = await scoreMany('split', 2000);
    const counts = tally(results);
    expect((counts['200 split-v1'] ?? 0) + (counts['200 split-v2'] ?? 0)).toBe(2000);
    const challengerShare = (counts['200 split-v2'] / 2000) * 100;
    expect(challengerShare).toBeGreaterThanOrEqual(7);
    expect(challengerShare).toBeLessThanOrEqual(13);
    // The headers name what answered, and it is what the fake says answered.
    const sample = results.find((r) => r.deployment === 'split-v2')!;
    expect([sample.body.answeredBy, sample.version, sample.attempts]).toEqual(['challenger', '2', '1']);
    expect(champion.received[0].contentType).toBe('application/json');
    expect(champion.received[0].body.toString()).toBe(JSON.stringify({ data: [[0, 1, 2]] }));
  });

  it('forwards a multipart body byte for byte with its boundary', async () => {
    const only = await fake('multipart');
    await registerModel('multi', [{ endpoint: only.endpoint, trafficPercent: 100 }]);
    const form = new FormData();
    form.append('image', new Blob([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 255, 10, 13])], { type: 'image/png' }), 'x.png');
    const sent = new Request('http://x/', { method: 'POST', body: form });
    const contentType = sent.headers.get('content-type')!;
    const bytes = Buffer.from(await sent.arrayBuffer());
    const result = await score('multi', bytes, contentType);
    expect(result.status).toBe(200);
    expect(only.received[0].contentType).toBe(contentType);
    expect(only.received[0].body.equals(bytes)).toBe(true);
  });

  it('skips a deployment that refuses connections, answers 5xx or hangs past the timeout', async () => {
    const good = await fake('good');
    const broken = await fake('broken', 'fail');
    const hanging = await fake('hanging', 'hang');
    const dead = `http://127.0.0.1:${await freePort()}`;
    await registerModel('flaky', [
      { endpoint: good.endpoint, trafficPercent: 50 },
      { endpoint: dead, trafficPercent: 25 },
      { endpoint: broken.endpoint, trafficPercent: 25 },
    ]);
    const results = await scoreMany('flaky', 40, 4);
    // Every answer comes from the good deployment, after at most one failed attempt; a request whose first and
    // second choice are both broken gets the 503 (one in six).
    for (const r of results) expect([200, 503]).toContain(r.status);
    const answered = results.filter((r) => r.status === 200);
    expect(answered.every((r) => r.deployment === 'flaky-v1')).toBe(true);
    expect(answered.some((r) => r.attempts === '2')).toBe(true);
    expect(broken.received.length).toBeGreaterThan(0);

    await registerModel('slow', [
      { endpoint: hanging.endpoint, trafficPercent: 50 },
      { endpoint: good.endpoint, trafficPercent: 50 },
    ]);
    const slow = await scoreMany('slow', 12, 4);
    expect(tally(slow)).toEqual({ '200 slow-v2': 12 });
    expect(slow.some((r) => r.attempts === '2')).toBe(true);
  });

  it('answers 503 SCORING.NO_HEALTHY_DEPLOYMENT when no deployment answers or none has traffic', async () => {
    const broken = await fake('broken-only', 'fail');
    await registerModel('down', [
      { endpoint: `http://127.0.0.1:${await freePort()}`, trafficPercent: 50 },
      { endpoint: broken.endpoint, trafficPercent: 50 },
    ]);
    const result = await score('down');
    expect(result.status).toBe(503);
    expect(result.body.error?.code).toBe('SCORING.NO_HEALTHY_DEPLOYMENT');
    expect(result.body.error?.message).toMatch(/down-v1: unreachable/);
    expect(result.body.error?.message).toMatch(/down-v2: answered 500/);

    const [failed] = await registerModel('idle', [{ endpoint: broken.endpoint, trafficPercent: 0 }]);
    await registry.upsertDeployment({ ...failed, trafficPercent: 100, state: 'failed' });
    const idle = await score('idle');
    expect([idle.status, idle.body.error?.code]).toEqual([503, 'SCORING.NO_HEALTHY_DEPLOYMENT']);
    expect(idle.body.error?.message).toMatch(/no healthy deployment with traffic/);
  });

  it("passes a deployment's 4xx through without a retry", async () => {
    const picky = await fake('picky', 'reject-input');
    const other = await fake('other');
    await registerModel('picky', [
      { endpoint: picky.endpoint, trafficPercent: 100 },
      { endpoint: other.endpoint, trafficPercent: 0 },
    ]);
    const result = await score('picky');
    expect([result.status, result.body.error?.code, result.attempts, result.deployment]).toEqual([400, 'SCORE.BAD_INPUT', '1', 'picky-v1']);
    expect(other.received).toHaveLength(0);
  });

  it('refuses bad input with a clear 4xx', async () => {
    const only = await fake('strict');
    await registerModel('strict', [{ endpoint: only.endpoint, trafficPercent: 100 }]);
    expect((await score('no-such-model')).body.error?.code).toBe('MODEL.NOT_FOUND');
    expect((await score('no-such-model')).status).toBe(404);
    const wrongType = await score('strict', 'hello', 'text/plain');
    expect([wrongType.status, wrongType.body.error?.code]).toEqual([415, 'SCORING.UNSUPPORTED_MEDIA_TYPE']);
    const empty = await score('strict', '', 'application/json');
    expect([empty.status, empty.body.error?.code]).toEqual([400, 'REQUEST.EMPTY']);
    const huge = await score('strict', Buffer.alloc(16 * 1024 * 1024 + 1, 32), 'application/json');
    expect([huge.status, huge.body.error?.code]).toEqual([413, 'REQUEST.TOO_LARGE']);
    const noKey = await fetch(`${canopy.host.baseUrl}/api/models/strict/score`, { method: 'POST', body: '{}' });
    expect(noKey.status).toBe(401);
    expect(only.received).toHaveLength(0);
  });
});

// Another instance's changes arrive within the refresh bound: trafficAcrossInstances.test.ts.
describe('traffic changes made through this instance take effect on its very next request', () => {
  it('promote, promote again and roll back: each next request goes to the new production deployment', async () => {
    const [one, two] = [await fake('one'), await fake('two')];
    await registerModel('switch', [
      { endpoint: one.endpoint, trafficPercent: 0 },
      { endpoint: two.endpoint, trafficPercent: 0 },
    ]);
    expect((await score('switch')).status).toBe(503);
    const promoted = await canopy.api('POST', 'models/switch/versions/1/promote');
    expect(promoted.status).toBe(200);
    expect(Array.isArray(promoted.body.metrics)).toBe(true);
    expect((await score('switch')).deployment).toBe('switch-v1');
    expect((await canopy.api('POST', 'models/switch/versions/2/promote')).status).toBe(200);
    expect((await score('switch')).deployment).toBe('switch-v2');
    const rolledBack = await canopy.api('POST', 'models/switch/rollback');
    expect([rolledBack.status, rolledBack.body.version]).toEqual([200, 1]);
    // The rollback decided on the metrics of the requests just made: one each, none failed.
    const decidedOn = rolledBack.body.metrics as { deployment: string; requests: number; errors: number }[];
    expect(decidedOn.map((m) => [m.deployment, m.requests, m.errors])).toEqual([
      ['switch-v1', 1, 0],
      ['switch-v2', 1, 0],
    ]);
    expect((await score('switch')).deployment).toBe('switch-v1');
  });

  it('PUT /traffic sets a validated split that the next request follows', async () => {
    const [a, b] = [await fake('a'), await fake('b')];
    await registerModel('canary', [
      { endpoint: a.endpoint, trafficPercent: 100 },
      { endpoint: b.endpoint, trafficPercent: 0 },
    ]);
    const set = await canopy.api('PUT', 'models/canary/traffic', { deployments: { 'canary-v2': 100 } });
    expect(set.status).toBe(200);
    expect(set.body.deployments.map((d: DeploymentRecord) => [d.name, d.trafficPercent])).toEqual([
      ['canary-v1', 0],
      ['canary-v2', 100],
    ]);
    expect((await score('canary')).deployment).toBe('canary-v2');

    const bad = await canopy.api('PUT', 'models/canary/traffic', { deployments: { 'canary-v1': 50.5, 'canary-v9': 10 } });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'TRAFFIC.INVALID_SPLIT']);
    expect(bad.body.error.details.problems).toEqual([
      'deployments.canary-v1: the share must be an integer from 0 to 100',
      'deployments.canary-v9: no such deployment',
    ]);
    expect((await canopy.api('PUT', 'models/canary/traffic', 'nope')).status).toBe(400);
    expect((await canopy.api('PUT', 'models/nobody/traffic', { deployments: {} })).status).toBe(404);
    expect((await score('canary')).deployment).toBe('canary-v2');
  });
});

describe('per-deployment metrics', () => {
  it('counts requests, errors and latency per deployment, readable from /metrics and the deployments listing', async () => {
    const good = await fake('measured');
    const broken = await fake('measured-broken', 'fail');
    await registerModel('measured', [
      { endpoint: good.endpoint, trafficPercent: 50 },
      { endpoint: broken.endpoint, trafficPercent: 50 },
    ]);
    await scoreMany('measured', 30, 3);
    const failedFirst = broken.received.length;
    const metrics = await canopy.api('GET', 'models/measured/metrics');
    expect(metrics.status).toBe(200);
    const byName = Object.fromEntries(
      (
        metrics.body.deployments as {
          deployment: string;
          requests: number;
          errors: number;
          errorRate: number;
          p50LatencyMs: number;
          p99LatencyMs: number;
        }[]
      ).map((m) => [m.deployment, m]),
    );
    // Every request is answered by the good deployment; the broken one failed each time it was tried.
    expect([byName['measured-v1'].requests, byName['measured-v1'].errors]).toEqual([30, 0]);
    expect([byName['measured-v2'].requests, byName['measured-v2'].errors, byName['measured-v2'].errorRate]).toEqual([
      failedFirst,
      failedFirst,
      1,
    ]);
    expect(byName['measured-v1'].p50LatencyMs).toBeGreaterThan(0);
    expect(byName['measured-v1'].p99LatencyMs).toBeGreaterThanOrEqual(byName['measured-v1'].p50LatencyMs);

    const listing = await canopy.api('GET', 'models/measured/deployments');
    expect(listing.body.deployments.map((d: { name: string; metrics?: { requests: number } }) => [d.name, d.metrics?.requests])).toEqual([
      ['measured-v1', 30],
      ['measured-v2', failedFirst],
    ]);
    expect((await canopy.api('GET', 'models/measured/metrics?minutes=0')).status).toBe(400);
    expect((await canopy.api('GET', 'models/nobody/metrics')).status).toBe(404);
  });
});
