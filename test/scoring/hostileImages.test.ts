import fs from 'node:fs';
import { PNG } from 'pngjs';
import { imageModelPackage } from '../support/modelPackages';
import { Json } from '../support/json';
import { startScorer, ScorerProcess } from './scorerProcess';
import { postJson, testImages } from './scoringFixtures';

/** The scorer process's peak resident memory (VmHWM), in bytes. */
function peakRss(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

/** A real, decodable greyscale PNG of `size`×`size` black pixels: a few KB that decode to `size`² × 4 bytes. */
function blackPng(size: number): Buffer {
  const png = new PNG({ width: size, height: size, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  png.data = Buffer.alloc(size * size);
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false, filterType: 0, deflateLevel: 9 });
}

/** The same PNG with its IHDR claiming another size (the CRC is left stale: the size check comes first). */
function withPngSize(png: Buffer, width: number, height: number): Buffer {
  const copy = Buffer.from(png);
  copy.writeUInt32BE(width, 16);
  copy.writeUInt32BE(height, 20);
  return copy;
}

describe('model server under hostile images (dist/scoring/main.js)', () => {
  let scorer: ScorerProcess;
  let sample: Buffer;
  let big: string;

  beforeAll(async () => {
    const image = imageModelPackage();
    sample = fs.readFileSync(testImages(image.imagesDir)[0].file);
    big = blackPng(4096).toString('base64');
    scorer = await startScorer(image.packageDir, { SCORER_MAX_ROWS: '8' });
    await scorer.waitReady();
  }, 600_000);

  afterAll(async () => {
    await scorer?.stop();
  });

  it('answers a PNG whose header declares width 0 with a 400, not null probabilities', async () => {
    const res = await postJson(scorer.baseUrl, { images: [withPngSize(sample, 0, 28).toString('base64')] });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('SCORE.NOT_AN_IMAGE');
    expect(res.body.error.message).toMatch(/images\[0\]: the image declares 0×28 pixels/);
  });

  it('refuses by declared size before decoding: one image past the bound, and a request whose images add up past it', async () => {
    const huge = await postJson(scorer.baseUrl, { images: [withPngSize(sample, 100_000, 100_000).toString('base64')] });
    expect(huge.status).toBe(400);
    expect(huge.body.error.code).toBe('SCORE.IMAGE_TOO_LARGE');
    const many = await postJson(scorer.baseUrl, { images: new Array(5).fill(big) });
    expect(many.status).toBe(400);
    expect(many.body.error).toMatchObject({ code: 'SCORE.IMAGE_TOO_LARGE', message: expect.stringMatching(/together/) });
  }, 60_000);

  it('keeps its memory bounded while 16 requests of a 4096×4096 PNG arrive at once', async () => {
    expect(big.length).toBeLessThan(200_000);
    const before = peakRss(scorer.child.pid!);
    const answers = await Promise.all(Array.from({ length: 16 }, () => postJson(scorer.baseUrl, { images: [big] })));
    expect(answers.map((a) => a.status)).toEqual(new Array(16).fill(200));
    const growth = peakRss(scorer.child.pid!) - before;
    // One decode at a time, RGBA only: about 2 × 67 MB for the decoder's buffers, never 16 images' worth (~4 GB).
    expect(growth).toBeLessThan(400 * 1024 * 1024);
    expect((await postJson(scorer.baseUrl, { images: [sample.toString('base64')] })).status).toBe(200);
  }, 300_000);

  it('shows no training-machine path in the unauthenticated /metadata', async () => {
    const metadata = (await (await fetch(`${scorer.baseUrl}/metadata`)).json()) as Json;
    const text = JSON.stringify(metadata);
    expect(metadata.lineage.classifier).toBe('logistic_regression');
    expect(text).not.toMatch(/file:|"\/(tmp|home|root|work|usr)\//);
    expect(metadata.lineage).not.toHaveProperty('inputUri');
    expect(metadata.lineage).not.toHaveProperty('featurizerUri');
  });
});
