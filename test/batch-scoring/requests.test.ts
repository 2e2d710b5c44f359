import { randomUUID } from 'node:crypto';
import { blobService, CanopyUnderTest, stores } from '../support/canopyUnderTest';
import { batchContainer, registerImageModel, uploadTestImages } from './batchScoringFixture';

describe('batch scoring API', () => {
  let canopy: CanopyUnderTest;
  const model = `bsr-${randomUUID().slice(0, 8)}`;
  const source = { container: batchContainer, prefix: `${model}/images` };
  beforeAll(async () => {
    canopy = await CanopyUnderTest.start();
    // Registered and production, but not deployed: the scorer route has nothing to call.
    await registerImageModel(canopy, model, false);
    await uploadTestImages(`${model}/images/`, 3);
  }, 300_000);
  afterAll(async () => {
    await canopy?.stop();
  });

  it('lists every problem of a bad request in one 400', async () => {
    const bad = await canopy.api('POST', `models/${model}/batch-scoring`, {
      source: { container: 'No_Such', prefix: '/abs' },
      via: 'gpu',
      pageSize: 0,
      concurrency: 99,
      colour: 'red',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('REQUEST.INVALID');
    expect(bad.body.error.details.problems).toEqual([
      'unknown fields: colour',
      expect.stringMatching(/^source\.container/),
      expect.stringMatching(/^source\.prefix/),
      'via must be "scorer" or "spark"',
      'pageSize must be an integer from 1 to 5000',
      'concurrency must be an integer from 1 to 16',
    ]);
    expect((await canopy.api('POST', `models/${model}/batch-scoring`, {})).body.error.details.problems).toEqual(['source is required']);
    expect((await canopy.api('POST', `models/${model}/batch-scoring`, '[1]')).body.error.code).toBe('REQUEST.BAD_BODY');
    expect((await canopy.api('POST', `models/${model}/batch-scoring`, '{nope')).body.error.code).toBe('REQUEST.BAD_JSON');
  });

  it('answers 404 for an unknown model or version, 409 when the scorer route has no deployment, 400 for an empty source', async () => {
    const unknownModel = await canopy.api('POST', `models/${model}-nope/batch-scoring`, { source });
    expect([unknownModel.status, unknownModel.body.error.code]).toEqual([404, 'MODEL.NOT_FOUND']);
    const unknownVersion = await canopy.api('POST', `models/${model}/batch-scoring`, { source, version: 7 });
    expect([unknownVersion.status, unknownVersion.body.error.code]).toEqual([404, 'MODEL.VERSION_NOT_FOUND']);
    const notDeployed = await canopy.api('POST', `models/${model}/batch-scoring`, { source });
    expect([notDeployed.status, notDeployed.body.error.code]).toEqual([409, 'MODEL.NOT_DEPLOYED']);
    const empty = await canopy.api('POST', `models/${model}/batch-scoring`, {
      source: { container: batchContainer, prefix: 'nothing-here/' },
      via: 'spark',
    });
    expect([empty.status, empty.body.error.code]).toEqual([400, 'SOURCE.EMPTY']);
  });

  it('needs a function key, answers 404 for an unknown run, and is in the OpenAPI document', async () => {
    expect((await canopy.api('POST', `models/${model}/batch-scoring`, { source }, null)).status).toBe(401);
    expect((await canopy.api('GET', 'batch-scoring/batch-0123456789abcdef0123456789abcdef')).status).toBe(404);
    const other = await canopy.api('GET', 'batch-scoring/not-a-batch-id');
    expect([other.status, other.body.error.code]).toEqual([404, 'BATCH.NOT_FOUND']);
    expect((await canopy.api('POST', 'batch-scoring/not-a-batch-id/cancel')).status).toBe(404);
    const doc = await canopy.api('GET', 'openapi.json', undefined, null);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/models/{name}/batch-scoring', '/batch-scoring/{id}', '/batch-scoring/{id}/cancel']),
    );
  });

  it('cancels a running spark run: it ends cancelled, with its summary written', async () => {
    const started = await canopy.api('POST', `models/${model}/batch-scoring`, { source, via: 'spark' });
    expect(started.status).toBe(202);
    const id = started.body.instanceId as string;
    expect((await canopy.api('POST', `batch-scoring/${id}/cancel`)).status).toBe(202);
    const deadline = Date.now() + 120_000;
    let view = (await canopy.api('GET', `batch-scoring/${id}`)).body;
    while (view.runtimeStatus !== 'Completed' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      view = (await canopy.api('GET', `batch-scoring/${id}`)).body;
    }
    expect(view.summary).toMatchObject({ status: 'cancelled', error: { code: 'RUN.CANCELLED' } });
    expect((await canopy.api('POST', `batch-scoring/${id}/cancel`)).status).toBe(409);
    const written = await blobService
      .getContainerClient(view.output.container)
      .getBlobClient(`${view.output.prefix}summary.json`)
      .downloadToBuffer();
    expect(JSON.parse(written.toString('utf8'))).toMatchObject({ status: 'cancelled', model, via: 'spark' });
    const { ledger } = await stores();
    expect((await ledger.listByInstance(id)).filter((e) => !e.deletedAt)).toEqual([]);
  });
});
