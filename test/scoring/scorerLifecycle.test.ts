import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { uploadFolder } from '../support/canopyUnderTest';
import { Json } from '../support/json';
import { imageModelPackage } from '../support/modelPackages';
import { testEndpoints } from '../support/testStack';
import { startScorer } from './scorerProcess';
import { greyPixels, testImages } from './scoringFixtures';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Json;
}

function answerOf(res: http.IncomingMessage): Promise<Answer> {
  return new Promise((resolve) => {
    let text = '';
    res.on('data', (d: Buffer) => (text += d.toString()));
    res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) as Json }));
  });
}

function get(url: string, agent: http.Agent | false = false): Promise<Answer> {
  return new Promise((resolve, reject) => http.get(url, { agent }, (res) => resolve(answerOf(res))).on('error', reject));
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** `/health` once the scorer has stopped loading (ready or failed). */
async function settledHealth(baseUrl: string): Promise<Answer> {
  for (;;) {
    const health = await get(`${baseUrl}/health`);
    if (health.body.status !== 'loading') return health;
  }
}

/** A copy of the package whose manifest.json is a FIFO: the scorer's read of it waits until the test writes it. */
function packageWithHeldManifest(packageDir: string): { dir: string; release: () => Promise<void> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-held-package-'));
  fs.copyFileSync(path.join(packageDir, 'model.onnx'), path.join(dir, 'model.onnx'));
  execFileSync('mkfifo', [path.join(dir, 'manifest.json')]);
  return {
    dir,
    release: () => fs.promises.writeFile(path.join(dir, 'manifest.json'), fs.readFileSync(path.join(packageDir, 'manifest.json'))),
  };
}

describe('model server lifecycle (dist/scoring/main.js)', () => {
  let packageDir: string;
  let pixels: number[];

  beforeAll(() => {
    const image = imageModelPackage();
    packageDir = image.packageDir;
    pixels = greyPixels(fs.readFileSync(testImages(image.imagesDir)[0].file));
  });

  it('is not ready (503) before the model is loaded, and ready once it is', async () => {
    const held = packageWithHeldManifest(packageDir);
    const scorer = await startScorer(held.dir);
    try {
      const health = await get(`${scorer.baseUrl}/health`);
      expect([health.status, health.body.status]).toEqual([503, 'loading']);
      const metadata = await get(`${scorer.baseUrl}/metadata`);
      expect([metadata.status, metadata.body.error.code]).toEqual([503, 'SCORE.NOT_READY']);
      const early = await fetch(`${scorer.baseUrl}/score`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ data: [pixels] }),
      });
      expect(early.status).toBe(503);

      await held.release();
      await scorer.waitReady();
      const ready = await get(`${scorer.baseUrl}/health`);
      expect(ready.body).toEqual({ status: 'ready', model: 'fashion', version: '7' });
    } finally {
      expect(await scorer.stop()).toBe(0);
      fs.rmSync(held.dir, { recursive: true, force: true });
    }
  });

  it('loads the package from blob storage (Azurite, by URI with a connection string) and scores', async () => {
    const prefix = `fashion model ${process.pid}/7/`;
    expect(await uploadFolder('scorer-tests', prefix, packageDir)).toBeGreaterThanOrEqual(2);
    const blobEndpoint = /BlobEndpoint=([^;]+)/.exec(testEndpoints.storageConnectionString)?.[1] as string;
    const scorer = await startScorer(`${blobEndpoint}/scorer-tests/${encodeURI(prefix)}`, {
      MODEL_STORAGE_CONNECTION: testEndpoints.storageConnectionString,
    });
    try {
      await scorer.waitReady();
      const res = await fetch(`${scorer.baseUrl}/score`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ data: [pixels] }),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as Json).predictions).toHaveLength(1);
    } finally {
      expect(await scorer.stop()).toBe(0);
    }
  });

  it('fails (503 with the missing blob named), not "loading" forever, when the package is not in blob storage', async () => {
    const blobEndpoint = /BlobEndpoint=([^;]+)/.exec(testEndpoints.storageConnectionString)?.[1] as string;
    const scorer = await startScorer(`${blobEndpoint}/scorer-tests/no-such-model-${process.pid}/`, {
      MODEL_STORAGE_CONNECTION: testEndpoints.storageConnectionString,
    });
    try {
      const health = await settledHealth(scorer.baseUrl);
      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({ status: 'failed', error: { code: 'SCORE.LOAD_FAILED' } });
      expect(health.body.error.message).toBe(
        `cannot read no-such-model-${process.pid}/manifest.json from container scorer-tests: no such blob`,
      );
    } finally {
      expect(await scorer.stop()).toBe(0);
    }
  });

  it('keeps loading while storage is unreachable (a transient fault) and becomes ready once storage is back', async () => {
    const prefix = `fashion model ${process.pid}/8/`;
    await uploadFolder('scorer-tests', prefix, packageDir);
    const azurite = new URL(/BlobEndpoint=([^;]+)/.exec(testEndpoints.storageConnectionString)?.[1] as string);
    // Storage "down" is a port nobody listens on yet; "back" is a proxy on that port to Azurite.
    const port = await freePort();
    const blobEndpoint = `http://127.0.0.1:${port}${azurite.pathname}`;
    const connection = testEndpoints.storageConnectionString.replace(/BlobEndpoint=[^;]+/, `BlobEndpoint=${blobEndpoint}`);
    const scorer = await startScorer(`${blobEndpoint}/scorer-tests/${encodeURI(prefix)}`, { MODEL_STORAGE_CONNECTION: connection });
    let proxy: net.Server | undefined;
    try {
      await scorer.waitForOutput(/trying again in \d+ ms/, 60_000);
      const health = await get(`${scorer.baseUrl}/health`);
      expect([health.status, health.body.status]).toEqual([503, 'loading']);
      proxy = net.createServer((client) => {
        const upstream = net.connect(Number(azurite.port), azurite.hostname);
        client.pipe(upstream).pipe(client);
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
      });
      await new Promise<void>((resolve) => proxy?.listen(port, '127.0.0.1', resolve));
      await scorer.waitReady(60_000);
      expect(scorer.output()).toMatch(/ECONNREFUSED/);
    } finally {
      expect(await scorer.stop()).toBe(0);
      await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)));
    }
  });

  it('stays 503 with the reason when the package fails its sha256 check', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-tampered-package-'));
    const manifest = JSON.parse(fs.readFileSync(path.join(packageDir, 'manifest.json'), 'utf8')) as Json;
    manifest.sha256['model.onnx'] = '0'.repeat(64);
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    fs.copyFileSync(path.join(packageDir, 'model.onnx'), path.join(dir, 'model.onnx'));
    const scorer = await startScorer(dir);
    try {
      const health = await settledHealth(scorer.baseUrl);
      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({ status: 'failed', error: { code: 'SCORE.LOAD_FAILED' } });
      expect(health.body.error.message).toMatch(/model.onnx does not match its sha256/);
    } finally {
      expect(await scorer.stop()).toBe(0);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('on SIGTERM stops accepting, answers /health 503, finishes the request in flight, then exits 0', async () => {
    const scorer = await startScorer(packageDir);
    await scorer.waitReady();
    const probeAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect((await get(`${scorer.baseUrl}/health`, probeAgent)).status).toBe(200);

      // A request in flight: its headers and half its body are sent; the rest comes after SIGTERM.
      // `Expect: 100-continue` makes the server say when it has taken the request (Node answers 100
      // and dispatches the request in the same step), so SIGTERM cannot overtake it.
      const body = Buffer.from(JSON.stringify({ data: [pixels] }));
      const inFlight = http.request(`${scorer.baseUrl}/score`, {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': body.length, expect: '100-continue' },
      });
      const answered = new Promise<Answer>((resolve, reject) =>
        inFlight.on('response', (res) => resolve(answerOf(res))).on('error', reject),
      );
      inFlight.flushHeaders();
      await new Promise((resolve) => inFlight.once('continue', resolve));
      inFlight.write(body.subarray(0, body.length / 2));

      scorer.child.kill('SIGTERM');
      await scorer.waitForOutput(/scorer stopping \(SIGTERM\)/);
      const probe = await get(`${scorer.baseUrl}/health`, probeAgent);
      expect([probe.status, probe.body.status, probe.headers.connection]).toEqual([503, 'stopping', 'close']);
      await expect(get(`${scorer.baseUrl}/health`)).rejects.toThrow(/ECONNREFUSED/);

      inFlight.end(body.subarray(body.length / 2));
      const finished = await answered;
      expect(finished.status).toBe(200);
      expect(finished.body.predictions).toHaveLength(1);
      expect(await scorer.stop()).toBe(0);
      expect(scorer.output()).toContain('scorer stopped\n');
    } finally {
      probeAgent.destroy();
      await scorer.stop();
    }
  });
});
