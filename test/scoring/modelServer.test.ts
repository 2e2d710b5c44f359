import fs from 'node:fs';
import { Json } from '../support/json';
import { imageModelPackage, tabularModelPackage } from '../support/modelPackages';
import { startScorer, ScorerProcess } from './scorerProcess';
import { asJpeg, greyPixels, multipartBody, post, postChunked, postJson, testImages, workloadFeatureRows } from './scoringFixtures';

const maxRows = 4;
const maxBodyBytes = 64 * 1024;
const limits = { SCORER_MAX_ROWS: String(maxRows), SCORER_MAX_BODY_BYTES: String(maxBodyBytes) };

function expectSamePredictions(actual: Json[], expected: Json[], tolerance = 1e-5): void {
  expect(actual.map((p: Json) => p.label)).toEqual(expected.map((p: Json) => p.label));
  actual.forEach((p: Json, i) => {
    for (const [label, value] of Object.entries(expected[i].probabilities))
      expect(p.probabilities[label]).toBeCloseTo(value as number, -Math.log10(tolerance));
  });
}

/** The same PNG with its IHDR claiming another size (the CRC is left stale: the size check comes first). */
function withPngSize(png: Buffer, width: number, height: number): Buffer {
  const copy = Buffer.from(png);
  copy.writeUInt32BE(width, 16);
  copy.writeUInt32BE(height, 20);
  return copy;
}

/** The same JPEG with its baseline frame header (SOF0) claiming another size. */
function withJpegSize(jpeg: Buffer, width: number, height: number): Buffer {
  const copy = Buffer.from(jpeg);
  const frame = copy.indexOf(Buffer.from([0xff, 0xc0]));
  copy.writeUInt16BE(height, frame + 5);
  copy.writeUInt16BE(width, frame + 7);
  return copy;
}

describe('model server with a 28×28 Fashion-MNIST image model (dist/scoring/main.js)', () => {
  let scorer: ScorerProcess;
  let shoes: { png: Buffer; jpeg: Buffer; pixels: number[]; jpegPixels: number[] }[];

  beforeAll(async () => {
    const image = imageModelPackage();
    shoes = testImages(image.imagesDir)
      .filter((t) => t.label === 'Ankle_boot' || t.label === 'Trouser')
      .slice(0, 3)
      .map(({ file }) => {
        const png = fs.readFileSync(file);
        const { jpeg, pixels: jpegPixels } = asJpeg(png);
        return { png, jpeg, pixels: greyPixels(png), jpegPixels };
      });
    scorer = await startScorer(image.packageDir, limits);
    await scorer.waitReady();
  });

  afterAll(async () => {
    expect(await scorer.stop()).toBe(0);
  });

  it('answers the ACI walkthrough\'s request: {"data": [[784 floats]]} with Content-Type application/json', async () => {
    const floats = shoes[0].pixels.map((v) => v + 0.25);
    const res = await fetch(`${scorer.baseUrl}/score`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: `{"data": [[${floats.join(', ')}]]}`,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    expect(body).toMatchObject({ model: 'fashion', version: '7' });
    expect(body.predictions).toHaveLength(1);
    const [prediction] = body.predictions;
    expect(Object.keys(prediction.probabilities)).toHaveLength(10);
    expect(prediction.label).toBe(Object.entries(prediction.probabilities).sort((a, b) => (b[1] as number) - (a[1] as number))[0][0]);
    expect(Object.values(prediction.probabilities).reduce((s: number, p) => s + (p as number), 0)).toBeCloseTo(1, 4);
  });

  it('gives a pixel row the same prediction as the PNG it came from, and a JPEG the same as its decoded pixels', async () => {
    const fromPixels = await postJson(scorer.baseUrl, { data: shoes.map((s) => s.pixels) });
    const fromPng = await postJson(scorer.baseUrl, { images: shoes.map((s) => s.png.toString('base64')) });
    expect(fromPng.status).toBe(200);
    expectSamePredictions(fromPng.body.predictions, fromPixels.body.predictions);

    const fromJpeg = await postJson(scorer.baseUrl, { images: shoes.map((s) => `data:image/jpeg;base64,${s.jpeg.toString('base64')}`) });
    const fromRgb = await postJson(scorer.baseUrl, { data: shoes.map((s) => s.jpegPixels) });
    expect(fromJpeg.status).toBe(200);
    expectSamePredictions(fromJpeg.body.predictions, fromRgb.body.predictions);
  });

  it('reads a body without Content-Type as JSON', async () => {
    const res = await fetch(`${scorer.baseUrl}/score`, { method: 'POST', body: Buffer.from(JSON.stringify({ data: [shoes[0].pixels] })) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Json).predictions).toHaveLength(1);
  });

  it('scores multipart uploads, one prediction per image part, form fields ignored', async () => {
    const { body, contentType } = multipartBody([
      { name: 'note', data: Buffer.from('not an image, just a field') },
      { name: 'file', filename: 'boot.png', contentType: 'image/png', data: shoes[0].png },
      { name: 'file', filename: 'boot.jpg', contentType: 'image/jpeg', data: shoes[1].jpeg },
      { name: 'raw', contentType: 'image/png', data: shoes[2].png },
    ]);
    const uploaded = await post(scorer.baseUrl, contentType, body);
    expect(uploaded.status).toBe(200);
    const json = await postJson(scorer.baseUrl, {
      images: [shoes[0].png.toString('base64'), shoes[1].jpeg.toString('base64'), shoes[2].png.toString('base64')],
    });
    expectSamePredictions(uploaded.body.predictions, json.body.predictions);
  });

  it('describes the model on /metadata: labels, input schema and the pixel layout of "data", version and metrics', async () => {
    const res = await fetch(`${scorer.baseUrl}/metadata`);
    expect(res.status).toBe(200);
    const meta = (await res.json()) as Json;
    expect(meta).toMatchObject({ model: 'fashion', version: '7', task: 'image-classification' });
    expect(meta.labels).toHaveLength(10);
    expect(meta.inputs[0]).toMatchObject({ name: 'image', dtype: 'float32', shape: ['N', 3, 224, 224] });
    expect(meta.request.data.layout).toContain('784 values for a 28×28 greyscale image');
    expect(meta.request).toMatchObject({ maxRows, maxBodyBytes, data: { resizedTo: [224, 224] } });
    expect(typeof meta.metrics.accuracy).toBe('number');
    // SCORER_BATCHING=auto: a batch of 224×224 images is no faster than single runs, so requests run alone.
    expect(meta.serving).toMatchObject({ batching: false, threads: 1 });
  });

  const upload = (...parts: Parameters<typeof multipartBody>[0]): { body: Buffer; contentType: string } => multipartBody(parts);
  const badRequests: [string, () => Promise<{ status: number; body: Json }>, number, string, RegExp][] = [
    [
      'a pixel row of the wrong length',
      () => postJson(scorer.baseUrl, { data: [new Array(783).fill(0)] }),
      400,
      'SCORE.WRONG_LENGTH',
      /data\[0\] has 783 values.*784/,
    ],
    [
      'a pixel row with text',
      () => postJson(scorer.baseUrl, { data: [['a', ...new Array(783).fill(0)]] }),
      400,
      'SCORE.BAD_INPUT',
      /data\[0\]/,
    ],
    ['an empty pixel row', () => postJson(scorer.baseUrl, { data: [[]] }), 400, 'SCORE.WRONG_LENGTH', /has 0 values/],
    ['bad base64', () => postJson(scorer.baseUrl, { images: ['iVBOR!!not base64'] }), 400, 'SCORE.BAD_BASE64', /images\[0\]/],
    [
      'base64 that is not an image',
      () => postJson(scorer.baseUrl, { images: [Buffer.from('hello, world').toString('base64')] }),
      400,
      'SCORE.NOT_AN_IMAGE',
      /images\[0\]: not a PNG or JPEG/,
    ],
    [
      'a truncated PNG',
      () => postJson(scorer.baseUrl, { images: [shoes[0].png.subarray(0, 40).toString('base64')] }),
      400,
      'SCORE.NOT_AN_IMAGE',
      /PNG could not be decoded/,
    ],
    [
      'a PNG whose header declares 5000×5000 pixels',
      () => postJson(scorer.baseUrl, { images: [withPngSize(shoes[0].png, 5000, 5000).toString('base64')] }),
      400,
      'SCORE.IMAGE_TOO_LARGE',
      /images\[0\]: the image is 5000×5000 pixels/,
    ],
    [
      'a JPEG whose frame declares 5000×5000 pixels',
      () => postJson(scorer.baseUrl, { images: [withJpegSize(shoes[0].jpeg, 5000, 5000).toString('base64')] }),
      400,
      'SCORE.IMAGE_TOO_LARGE',
      /images\[0\]: the image is 5000×5000 pixels; at most 16777216/,
    ],
    [
      'too many rows',
      () => postJson(scorer.baseUrl, { data: new Array(maxRows + 1).fill(shoes[0].pixels) }),
      400,
      'SCORE.TOO_MANY_ROWS',
      /at most 4 .*got 5/,
    ],
    ['tabular rows for an image model', () => postJson(scorer.baseUrl, { rows: [{ a: 1 }] }), 400, 'SCORE.BAD_INPUT', /image model/],
    ['two forms at once', () => postJson(scorer.baseUrl, { data: [shoes[0].pixels], images: [] }), 400, 'SCORE.BAD_INPUT', /exactly one/],
    ['an empty list', () => postJson(scorer.baseUrl, { images: [] }), 400, 'SCORE.BAD_INPUT', /non-empty/],
    ['JSON that is not an object', () => postJson(scorer.baseUrl, [1, 2]), 400, 'SCORE.BAD_INPUT', /JSON object/],
    ['malformed JSON', () => post(scorer.baseUrl, 'application/json', '{"data": [[1, 2'), 400, 'SCORE.BAD_JSON', /not valid JSON/],
    ['a wrong content type', () => post(scorer.baseUrl, 'text/plain', 'hello'), 415, 'SCORE.UNSUPPORTED_MEDIA_TYPE', /text\/plain/],
    [
      'a multipart body without image parts',
      () => {
        const u = upload({ name: 'note', data: Buffer.from('hi') });
        return post(scorer.baseUrl, u.contentType, u.body);
      },
      400,
      'SCORE.NO_IMAGES',
      /no image parts/,
    ],
    [
      'a multipart file that is not an image',
      () => {
        const u = upload({ name: 'file', filename: 'notes.txt', data: Buffer.from('hello') });
        return post(scorer.baseUrl, u.contentType, u.body);
      },
      400,
      'SCORE.NOT_AN_IMAGE',
      /part "notes.txt": not a PNG or JPEG/,
    ],
    [
      'too many multipart images',
      () => {
        const u = upload(...new Array(maxRows + 1).fill({ name: 'f', filename: 'a.png', data: shoes[0].png }));
        return post(scorer.baseUrl, u.contentType, u.body);
      },
      400,
      'SCORE.TOO_MANY_ROWS',
      /at most 4/,
    ],
    [
      'a multipart body without its boundary',
      () => post(scorer.baseUrl, 'multipart/form-data', 'x'),
      400,
      'SCORE.BAD_MULTIPART',
      /no boundary/,
    ],
    [
      'a truncated multipart body',
      () => post(scorer.baseUrl, 'multipart/form-data; boundary=zz', '--zz\r\n\r\nhalf an image'),
      400,
      'SCORE.BAD_MULTIPART',
      /closing boundary/,
    ],
    [
      'a body over the limit (Content-Length)',
      () => post(scorer.baseUrl, 'application/json', Buffer.alloc(maxBodyBytes + 1, 0x20)),
      413,
      'SCORE.TOO_LARGE',
      /65536 bytes/,
    ],
    [
      'a chunked body over the limit (no Content-Length)',
      () => postChunked(scorer.baseUrl, 64, 4096),
      413,
      'SCORE.TOO_LARGE',
      /65536 bytes/,
    ],
  ];

  it.each(badRequests)('answers %s with a clear error', async (_name, send, status, code, message) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.message).toMatch(message);
  });

  it('answers 404 for unknown paths and 405 (with Allow) for wrong methods', async () => {
    const missing = await fetch(`${scorer.baseUrl}/predict`, { method: 'POST' });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as Json).error.code).toBe('SCORE.NOT_FOUND');
    for (const [method, path, allow] of [
      ['GET', '/score', 'POST'],
      ['DELETE', '/score', 'POST'],
      ['POST', '/health', 'GET'],
      ['PUT', '/metadata', 'GET'],
    ]) {
      const res = await fetch(`${scorer.baseUrl}${path}`, { method });
      expect([method, path, res.status, res.headers.get('allow')]).toEqual([method, path, 405, allow]);
      expect(((await res.json()) as Json).error.code).toBe('SCORE.METHOD_NOT_ALLOWED');
    }
  });

  it('still answers after all those bad requests', async () => {
    const res = await postJson(scorer.baseUrl, { data: [shoes[0].pixels] });
    expect(res.status).toBe(200);
  });
});

describe('model server with a tabular workload model', () => {
  let scorer: ScorerProcess;
  let columns: { name: string; dtype: string }[];
  let periods: Record<string, number | string>[];

  beforeAll(async () => {
    const tabular = tabularModelPackage();
    scorer = await startScorer(tabular.packageDir, limits);
    await scorer.waitReady();
    columns = ((await (await fetch(`${scorer.baseUrl}/metadata`)).json()) as Json).request.rows.columns;
    periods = workloadFeatureRows(
      tabular.etlDir,
      columns.map((c) => c.name),
      maxRows,
    );
  });

  afterAll(async () => {
    expect(await scorer.stop()).toBe(0);
  });

  it('scores {"rows": [{column: value}]} and the same values as "data" feature rows in /metadata order', async () => {
    expect(columns).toContainEqual({ name: 'serverType', dtype: 'string' });
    const byColumn = await postJson(scorer.baseUrl, { rows: periods });
    expect(byColumn.status).toBe(200);
    expect(byColumn.body.predictions).toHaveLength(maxRows);
    for (const p of byColumn.body.predictions) expect(['low', 'medium', 'high']).toContain(p.label);
    const byPosition = await postJson(scorer.baseUrl, { data: periods.map((row) => columns.map((c) => row[c.name])) });
    expect(byPosition.body.predictions).toEqual(byColumn.body.predictions);
  });

  it('coalesces concurrent single-row requests (SCORER_BATCHING=auto) and gives each request its own predictions', async () => {
    const meta = (await (await fetch(`${scorer.baseUrl}/metadata`)).json()) as Json;
    expect(meta.serving).toMatchObject({ batching: true, batchMaxRows: maxRows });
    const together = await postJson(scorer.baseUrl, { rows: periods });
    const apart = await Promise.all(periods.map((row) => postJson(scorer.baseUrl, { rows: [row] })));
    expect(apart.map((a) => a.body.predictions[0])).toEqual(together.body.predictions);
  });

  it('names unknown and missing columns, wrong value types and wrong feature-row lengths', async () => {
    const { meanTotalLoad, ...withoutLoad } = periods[0];
    expect(typeof meanTotalLoad).toBe('number');
    const wrongColumns = await postJson(scorer.baseUrl, { rows: [{ ...withoutLoad, cpu: 3 }] });
    expect(wrongColumns.status).toBe(400);
    expect(wrongColumns.body.error).toMatchObject({ code: 'SCORE.BAD_COLUMNS' });
    expect(wrongColumns.body.error.message).toMatch(/rows\[0\] has unknown columns cpu and missing columns meanTotalLoad/);

    const wrongType = await postJson(scorer.baseUrl, { rows: [{ ...periods[0], sessions: 'many' }] });
    expect(wrongType.body.error).toEqual({ code: 'SCORE.BAD_VALUE', message: 'rows[0].sessions must be a finite number' });
    const wrongString = await postJson(scorer.baseUrl, { rows: [{ ...periods[0], serverType: 7 }] });
    expect(wrongString.body.error).toEqual({ code: 'SCORE.BAD_VALUE', message: 'rows[0].serverType must be a string' });

    const short = await postJson(scorer.baseUrl, { data: [[1, 2, 3]] });
    expect(short.status).toBe(400);
    expect(short.body.error.code).toBe('SCORE.WRONG_LENGTH');
    expect(short.body.error.message).toContain(`takes ${columns.length} features in this order: ${columns.map((c) => c.name).join(', ')}`);

    const images = await postJson(scorer.baseUrl, { images: [Buffer.from('x').toString('base64')] });
    expect(images.body.error.message).toMatch(/tabular model/);
  });
});
