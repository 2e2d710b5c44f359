import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { repoRoot } from '../support/canopyUnderTest';
import { Json } from '../support/json';

/** The Fashion-MNIST test images of a sample folder, with their true label, in a stable order. */
export function testImages(imagesDir: string): { label: string; file: string }[] {
  const testDir = path.join(imagesDir, 'test');
  return fs
    .readdirSync(testDir)
    .sort()
    .flatMap((label) =>
      fs
        .readdirSync(path.join(testDir, label))
        .sort()
        .map((name) => ({ label, file: path.join(testDir, label, name) })),
    );
}

/** The greyscale pixel values of a 28×28 PNG, row-major: the walkthrough's `data` row. */
export function greyPixels(png: Buffer): number[] {
  const image = PNG.sync.read(png);
  return Array.from({ length: image.width * image.height }, (_, i) => image.data[i * 4]);
}

/** The same picture as a JPEG, and the pixels a JPEG decoder gets back from it (JPEG is lossy). */
export function asJpeg(png: Buffer): { jpeg: Buffer; pixels: number[] } {
  const image = PNG.sync.read(png);
  const encoded = jpeg.encode({ data: image.data, width: image.width, height: image.height }, 95).data;
  const decoded = jpeg.decode(encoded, { useTArray: true, formatAsRGBA: true });
  const pixels: number[] = [];
  for (let i = 0; i < decoded.width * decoded.height; i++)
    pixels.push(decoded.data[i * 4], decoded.data[i * 4 + 1], decoded.data[i * 4 + 2]);
  return { jpeg: encoded, pixels };
}

export interface Upload {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

export function multipartBody(parts: Upload[], boundary = 'canopy-test-boundary'): { body: Buffer; contentType: string } {
  const chunks = parts.flatMap((p) => [
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ''}\r\n` +
        (p.contentType ? `Content-Type: ${p.contentType}\r\n` : '') +
        '\r\n',
    ),
    p.data,
    Buffer.from('\r\n'),
  ]);
  return { body: Buffer.concat([...chunks, Buffer.from(`--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
}

export async function postJson(baseUrl: string, body: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${baseUrl}/score`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

export async function post(baseUrl: string, contentType: string, body: Buffer | string): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${baseUrl}/score`, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: res.status, body: (await res.json()) as Json };
}

/** A chunked POST (no Content-Length) of `chunks` pieces of `chunkBytes` each; resolves with the answer. */
export function postChunked(baseUrl: string, chunks: number, chunkBytes: number): Promise<{ status: number; body: Json }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${baseUrl}/score`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Json }));
    });
    req.on('error', reject);
    const piece = Buffer.alloc(chunkBytes, 0x20);
    let sent = 0;
    const writeMore = (): void => {
      while (sent < chunks) {
        sent++;
        if (!req.write(piece)) return void req.once('drain', writeMore);
      }
      req.end();
    };
    writeMore();
  });
}

/** Server periods of the workload ETL output, as `{column: value}` rows of the model's inputs (via the jobs' venv). */
export function workloadFeatureRows(etlDir: string, columns: string[], count: number): Record<string, number | string>[] {
  const script =
    'import json, sys, pandas as pd\n' +
    'frame = pd.read_parquet(sys.argv[1]).sort_values(["serverIP", "periodStartSeconds"]).head(int(sys.argv[2]))\n' +
    'print(json.dumps(frame[json.loads(sys.argv[3])].to_dict(orient="records")))\n';
  const result = spawnSync(
    path.join(repoRoot, 'jobs', '.venv', 'bin', 'python'),
    ['-c', script, path.join(etlDir, 'features'), String(count), JSON.stringify(columns)],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`reading the ETL features failed:\n${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, number | string>[];
}
