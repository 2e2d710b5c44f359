import { randomUUID } from 'node:crypto';
import { CosmosRunClaims } from '../../shared/adapters/azure/cosmosRunClaims';
import { openCanopyContainers } from '../../shared/adapters/azure/cosmosSchema';
import { clusterName } from '../../shared/domain/naming';
import { CanopyUnderTest, fashionSample, imageSpec, stores, uploadFolder } from '../support/canopyUnderTest';
import { testCosmosClient } from '../support/testStack';

jest.setTimeout(15 * 60_000);

const good = [{ type: 'logistic_regression', grid: { regParam: [0.01], maxIter: [50] } }];

describe('the per-pipeline claim in Cosmos', () => {
  it('gives exactly one of 8 concurrent claims to its caller', async () => {
    const containers = await openCanopyContainers(testCosmosClient(), 'canopy');
    const claims = new CosmosRunClaims(containers.runs);
    const pipeline = `claim-${randomUUID().slice(0, 8)}`;
    const wanted = Array.from({ length: 8 }, (_, i) => ({
      instanceId: `${pipeline}--${String(i).padStart(16, '0')}`,
      token: `t${i}`,
      claimedAt: new Date().toISOString(),
    }));
    const holders = await Promise.all(wanted.map((w) => claims.claim(pipeline, w, async () => false)));
    const winners = holders.filter((h, i) => h.token === wanted[i].token);
    expect(winners).toHaveLength(1);
    expect(new Set(holders.map((h) => h.token))).toEqual(new Set([winners[0].token]));
    // A holder that is over is replaced, once.
    const next = { instanceId: `${pipeline}--${'f'.repeat(16)}`, token: 'next', claimedAt: new Date().toISOString() };
    expect(await claims.claim(pipeline, next, async () => true)).toEqual(next);
  });
});

describe('run rules on the local stack', () => {
  let canopy: CanopyUnderTest;
  const name = `h-${randomUUID().slice(0, 6)}`;
  beforeAll(async () => {
    canopy = await CanopyUnderTest.start();
    await uploadFolder('canopy-landing', `${name}/`, fashionSample());
    expect((await canopy.api('POST', 'pipelines', imageSpec(name, good))).status).toBe(201);
  });
  afterAll(async () => {
    await canopy?.stop();
  });

  it('answers every malformed parameter and body with a 4xx naming it, and the 10^8 grid within milliseconds', async () => {
    const refusals: [string, string, unknown, number, string][] = [
      ['GET', `pipelines/${name}/runs/a%2Fb`, undefined, 404, 'RUN.NOT_FOUND'],
      ['GET', `pipelines/${name}/runs/..%2F..%2Fetc`, undefined, 404, 'RUN.NOT_FOUND'],
      ['GET', 'pipelines/a%2Fb/runs/x', undefined, 404, 'PIPELINE.NOT_FOUND'],
      ['GET', 'pipelines/%F0%9F%92%A5', undefined, 404, 'PIPELINE.NOT_FOUND'],
      ['GET', 'models/%23x/versions/1', undefined, 404, 'MODEL.NOT_FOUND'],
      ['GET', `pipelines/${name}/runs?continuation=-1`, undefined, 400, 'REQUEST.BAD_PARAMETER'],
      ['GET', `pipelines/${name}/runs?continuation=%7B%22token%22%3A1%7D`, undefined, 400, 'REQUEST.BAD_PARAMETER'],
      ['GET', `pipelines/${name}/runs?continuation=%00`, undefined, 400, 'REQUEST.BAD_PARAMETER'],
      ['POST', 'runs', '['.repeat(50_000) + ']'.repeat(50_000), 400, 'REQUEST.BAD_JSON'],
    ];
    for (const [method, route, body, status, code] of refusals) {
      const answer = await canopy.api(method, route, body);
      expect({ route, status: answer.status, code: answer.body?.error?.code }).toEqual({ route, status, code });
    }
    const xml = await fetch(`${canopy.host.baseUrl}/api/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/xml', 'x-functions-key': canopy.host.functionKey },
      body: '<spec/>',
    });
    expect(xml.status).toBe(415);

    const ten = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const grid = Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((k) => [k, ten]));
    const started = Date.now();
    const huge = await canopy.api('POST', 'runs', { spec: imageSpec(`${name}-grid`, [{ type: 'logistic_regression', grid }]) });
    expect(huge.status).toBe(400);
    expect(huge.body.error.details.problems).toContain('candidates: the grid has 100000000 candidates; at most 48 are allowed');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('starts exactly one run of 8 concurrent starts with distinct data versions; a terminated run is settled by one reaper pass', async () => {
    const starts = await Promise.all(
      Array.from({ length: 8 }, (_, i) => canopy.api('POST', `pipelines/${name}/runs`, { dataVersion: `v${i}-${randomUUID()}` })),
    );
    const started = starts.filter((s) => s.status === 202);
    expect(started).toHaveLength(1);
    const instanceId = started[0].body.instanceId as string;
    expect(starts.filter((s) => s.status === 409).map((s) => s.body.error)).toEqual(
      new Array(7).fill(expect.objectContaining({ code: 'RUN.ALREADY_RUNNING', details: { instanceId } })),
    );

    // Another pipeline's name does not reach this run.
    expect((await canopy.api('GET', `pipelines/other-${name}/runs/${instanceId}`)).status).toBe(404);

    await canopy.waitFor(name, instanceId, (v) => v.orchestration?.customStatus?.candidates?.running > 0);
    expect(await canopy.durable('POST', `instances/${instanceId}/terminate?reason=hostile-test`)).toBe(202);
    await canopy.waitFor(name, instanceId, (v) => v.orchestration?.runtimeStatus === 'Terminated');

    const reaped = await canopy.api('POST', 'maintenance/reap', undefined, canopy.host.masterKey);
    expect(reaped.status).toBe(200);
    expect(reaped.body.settled).toEqual(expect.arrayContaining([{ instanceId, status: 'terminated' }]));
    const cluster = clusterName(instanceId);
    expect(reaped.body.deleted.map((d: { id: string }) => d.id)).toContain(`cluster:local-spark:${cluster}`);
    const { runs, ledger } = await stores();
    expect(await runs.getPipelineRun(name, instanceId)).toMatchObject({ status: 'terminated', error: { code: 'RUN.TERMINATED' } });
    const candidates = await runs.listCandidateRuns(name, instanceId);
    expect(candidates.length).toBeGreaterThan(0);
    expect(candidates.filter((c) => c.status === 'running' || c.status === 'pending')).toEqual([]);
    expect((await ledger.get(`cluster:local-spark:${cluster}`))?.deletedAt).toBeDefined();

    // The claim of a run that is over gives way to the next start.
    const next = await canopy.api('POST', `pipelines/${name}/runs`, { dataVersion: `after-${randomUUID()}` });
    expect(next.status).toBe(202);
    expect(await canopy.durable('POST', `instances/${next.body.instanceId}/terminate?reason=cleanup`)).toBe(202);
  });
});
