import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { PNG } from 'pngjs';
import { LocalScorerDeployer } from '../../shared/adapters/local/localScorerDeployer';
import { parseCsv } from '../../orchestrations/batchScoring/predictionCsv';
import { blobService, CanopyUnderTest, repoRoot, stores, uploadFolder } from '../support/canopyUnderTest';
import { imageModelPackage } from '../support/modelPackages';
import { Json } from '../support/json';
import { testEndpoints } from '../support/testStack';

const fashionDir = '/usr/share/datasets/fashion-mnist';
export const fashionLabels = ['T-shirt_top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle_boot'];

export interface LabelledImage {
  /** `<label>/<index>.png` */
  name: string;
  label: string;
  png: Buffer;
}

function idx(file: string): Buffer {
  return zlib.gunzipSync(fs.readFileSync(path.join(fashionDir, file)));
}

/** The first `count` Fashion-MNIST test images as greyscale PNGs, named by their true label. */
export function fashionTestImages(count: number): LabelledImage[] {
  const pixels = idx('t10k-images-idx3-ubyte.gz');
  const labels = idx('t10k-labels-idx1-ubyte.gz');
  const images: LabelledImage[] = [];
  for (let i = 0; i < count; i++) {
    const png = new PNG({ width: 28, height: 28 });
    for (let p = 0; p < 28 * 28; p++) {
      const v = pixels[16 + i * 784 + p];
      png.data.set([v, v, v, 255], p * 4);
    }
    const label = fashionLabels[labels[8 + i]];
    images.push({ name: `${label}/${String(i).padStart(5, '0')}.png`, label, png: PNG.sync.write(png, { colorType: 0 }) });
  }
  return images;
}

export async function uploadBlobs(container: string, prefix: string, blobs: { name: string; content: Buffer }[]): Promise<void> {
  const client = blobService.getContainerClient(container);
  await client.createIfNotExists();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < blobs.length) {
        const blob = blobs[next++];
        await client.getBlockBlobClient(`${prefix}${blob.name}`).uploadData(blob.content);
      }
    }),
  );
}

/** The container the tests' sources live in. */
export const batchContainer = 'canopy-batch';

/** Uploads the first `count` Fashion-MNIST test images under `prefix` of the tests' container, with any `extra` blobs. */
export async function uploadTestImages(
  prefix: string,
  count: number,
  extra: { name: string; content: Buffer }[] = [],
): Promise<LabelledImage[]> {
  const images = fashionTestImages(count);
  await uploadBlobs(batchContainer, prefix, [...images.map((i) => ({ name: i.name, content: i.png })), ...extra]);
  return images;
}

/** Starts a batch scoring run of `model` over `prefix` of the tests' container; answers its id. */
export async function startBatch(canopy: CanopyUnderTest, model: string, prefix: string, options: Json = {}): Promise<string> {
  const started = await canopy.api('POST', `models/${model}/batch-scoring`, { source: { container: batchContainer, prefix }, ...options });
  expect(started.status).toBe(202);
  expect(started.body).toMatchObject({ model, version: 1, via: options.via ?? 'scorer' });
  return started.body.instanceId as string;
}

/**
 * Registers the test image package (a real model trained by image_train.py) as version 1 of
 * `model`, production, and when `deploy` runs it with the local deployer and records the
 * deployment healthy with all the traffic as soon as its endpoint is known. Returns the scorer's endpoint once it
 * answers.
 */
export async function registerImageModel(canopy: CanopyUnderTest, model: string, deploy = true): Promise<string | undefined> {
  const pkg = imageModelPackage();
  const prefix = `models/${model}/1/`;
  await uploadFolder('canopy-artifacts', prefix, pkg.packageDir);
  const packageUri = blobService.getContainerClient('canopy-artifacts').getBlobClient(prefix).url;
  const { registry } = await stores();
  const now = new Date();
  const version = await registry.createVersion(
    model,
    {
      packageUri,
      metrics: { accuracy: 0.7, classAverageAccuracy: 0.7, rocAuc: {} },
      lineage: {
        pipeline: model,
        instanceId: `test-${model}`,
        candidateId: 'lr',
        classifier: 'logistic_regression',
        featurizer: 'squeezenet1.1',
        params: {},
        specVersion: 1,
        dataSnapshot: pkg.imagesDir,
      },
    },
    now,
  );
  await registry.promote(model, version.version, now);
  if (!deploy) return undefined;
  const deployer = new LocalScorerDeployer({
    rootDir: path.join(canopy.stateDir, 'deployments'),
    scorerEntry: path.join(repoRoot, 'dist', 'scoring', 'main.js'),
    storageConnectionString: testEndpoints.storageConnectionString,
  });
  const name = `canopy-${model}-v1`;
  await deployer.beginDeploy({ name, model, version: 1, packageUri, cpu: 1, memoryGb: 1 });
  // No run owns this server, so the registry must from the start: the host's reaper (at start and every five
  // minutes) deletes a model server no registry entry serves.
  const endpoint = (await deployer.getDeployment(name))?.endpoint;
  if (!endpoint) throw new Error(`the test deployment has no endpoint: ${JSON.stringify(await deployer.getDeployment(name))}`);
  await addDeployment(model, name, endpoint, 100);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const state = await deployer.getDeployment(name);
    if (state?.state === 'running') return endpoint;
    if (state?.state === 'failed' || Date.now() > deadline) throw new Error(`the test deployment did not start: ${JSON.stringify(state)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

export interface DeployedModel {
  canopy: CanopyUnderTest;
  model: string;
  endpoint: string;
}

/** For a describe block: a devhost with a model named `<namePrefix>-<random>` registered and deployed (before all), stopped after all. */
export function withDeployedModel(namePrefix: string): DeployedModel {
  const fixture = { model: `${namePrefix}-${randomUUID().slice(0, 8)}` } as DeployedModel;
  beforeAll(async () => {
    fixture.canopy = await CanopyUnderTest.start();
    fixture.endpoint = (await registerImageModel(fixture.canopy, fixture.model))!;
  });
  afterAll(async () => {
    await fixture.canopy?.stop();
  });
  return fixture;
}

export async function addDeployment(model: string, name: string, endpoint: string, trafficPercent: number): Promise<void> {
  const { registry } = await stores();
  const now = new Date().toISOString();
  await registry.upsertDeployment({
    model,
    name,
    version: 1,
    target: 'local',
    endpoint,
    state: 'healthy',
    trafficPercent,
    createdAt: now,
    updatedAt: now,
  });
}

export async function waitForBatch(
  canopy: CanopyUnderTest,
  id: string,
  done = (v: Json) => ['Completed', 'Failed', 'Terminated'].includes(v.runtimeStatus),
  timeoutMs = 600_000,
): Promise<Json> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = (await canopy.api('GET', `batch-scoring/${id}`).catch(() => undefined))?.body;
    if (view && done(view)) return view;
    if (Date.now() > deadline)
      throw new Error(`batch ${id} did not get there in time; last view ${JSON.stringify(view)}\n${canopy.host.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export interface BatchOutput {
  summary: Json;
  /** Rows of every page file, keyed by blob name; `pages` counts the page files each blob appears in. */
  rows: Map<string, string[]>;
  header: string[];
  pageFiles: string[];
  combinedRows: number;
  appearances: Map<string, number>;
}

export async function readBatchOutput(output: { container: string; prefix: string }): Promise<BatchOutput> {
  const container = blobService.getContainerClient(output.container);
  const summary = JSON.parse((await container.getBlobClient(`${output.prefix}summary.json`).downloadToBuffer()).toString('utf8')) as Json;
  const rows = new Map<string, string[]>();
  const appearances = new Map<string, number>();
  const pageFiles: string[] = [];
  let header: string[] = [];
  for await (const blob of container.listBlobsFlat({ prefix: `${output.prefix}predictions/` })) {
    pageFiles.push(blob.name);
    const [head, ...records] = parseCsv((await container.getBlobClient(blob.name).downloadToBuffer()).toString('utf8'));
    header = head;
    for (const record of records) {
      rows.set(record[0], record);
      appearances.set(record[0], (appearances.get(record[0]) ?? 0) + 1);
    }
  }
  const combined = parseCsv((await container.getBlobClient(`${output.prefix}predictions.csv`).downloadToBuffer()).toString('utf8'));
  return { summary, rows, header, pageFiles, combinedRows: combined.length - 1, appearances };
}

/** What every run's output must satisfy: one row per input blob, valid labels, and a summary that adds up to the rows. */
export function expectConsistentOutput(out: BatchOutput, inputBlobs: string[], failures: string[] = []): void {
  const labels = out.summary.labels as string[];
  expect([...labels].sort()).toEqual([...fashionLabels].sort());
  expect(out.header).toEqual(['blob', 'predictedLabel', ...labels.map((l) => `probability_${l}`), 'error']);
  expect([...out.rows.keys()].sort()).toEqual([...inputBlobs].sort());
  expect([...out.appearances.values()].every((n) => n === 1)).toBe(true);
  expect(out.combinedRows).toBe(inputBlobs.length);
  const perClass = Object.fromEntries(fashionLabels.map((l) => [l, 0]));
  for (const [blob, row] of out.rows) {
    if (failures.includes(blob)) {
      expect(row[1]).toBe('');
      expect(row[row.length - 1]).not.toBe('');
      continue;
    }
    expect(fashionLabels).toContain(row[1]);
    const probabilities = row.slice(2, 2 + fashionLabels.length).map(Number);
    expect(Math.abs(probabilities.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-3);
    expect(probabilities[labels.indexOf(row[1])]).toBe(Math.max(...probabilities));
    perClass[row[1]]++;
  }
  expect(out.summary).toMatchObject({
    status: 'succeeded',
    total: inputBlobs.length,
    scored: inputBlobs.length - failures.length,
    failed: failures.length,
    perClass,
  });
}

/** Accuracy of the predictions against the label folder each image sits in. */
export function accuracy(out: BatchOutput, prefix: string): number {
  let right = 0;
  let total = 0;
  for (const [blob, row] of out.rows) {
    const truth = blob.slice(prefix.length).split('/')[0];
    if (!fashionLabels.includes(truth)) continue;
    total++;
    if (row[1] === truth) right++;
  }
  return right / total;
}

/** The run's rows for `sample` equal one direct call to the model server with those images (labels, and probabilities to `digits`). */
export async function expectSameAsServer(
  out: BatchOutput,
  endpoint: string,
  prefix: string,
  sample: LabelledImage[],
  digits: number,
): Promise<void> {
  const direct = await scoreDirectly(
    endpoint,
    sample.map((i) => i.png),
  );
  sample.forEach((image, k) => {
    const row = out.rows.get(`${prefix}${image.name}`)!;
    expect(row[1]).toBe(direct[k].label);
    row.slice(2, 12).forEach((p, c) => expect(Number(p)).toBeCloseTo(direct[k].probabilities[out.summary.labels[c]], digits));
  });
}

/** Scores `images` with one direct call to the model server. */
async function scoreDirectly(endpoint: string, images: Buffer[]): Promise<{ label: string; probabilities: Record<string, number> }[]> {
  const res = await fetch(`${endpoint}/score`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ images: images.map((i) => i.toString('base64')) }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { predictions: { label: string; probabilities: Record<string, number> }[] }).predictions;
}

/** Images in a /score body; a body cut short (its sender was killed) carried none that counted. */
function imageCount(body: Buffer): number {
  try {
    return (JSON.parse(body.toString('utf8')) as { images?: unknown[] }).images?.length ?? 0;
  } catch {
    return 0;
  }
}

/** A pass-through to a model server that records, per request, the page it was for and how many images it carried. */
export class RecordingProxy {
  private constructor(
    private readonly server: http.Server,
    readonly endpoint: string,
    readonly requests: { page: number; images: number; at: number }[],
  ) {}

  static async start(target: string): Promise<RecordingProxy> {
    const requests: RecordingProxy['requests'] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        if (req.url === '/score') {
          const images = imageCount(body);
          requests.push({ page: Number(req.headers['x-canopy-page']), images, at: Date.now() });
        }
        fetch(`${target}${req.url}`, {
          method: req.method,
          headers: { 'content-type': 'application/json' },
          body: req.method === 'POST' ? body : undefined,
        })
          .then(async (answer) =>
            res.writeHead(answer.status, { 'content-type': 'application/json' }).end(Buffer.from(await answer.arrayBuffer())),
          )
          .catch(() => res.writeHead(502).end());
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return new RecordingProxy(server, `http://127.0.0.1:${(server.address() as { port: number }).port}`, requests);
  }

  imagesPerPage(since = 0): Map<number, number> {
    const counts = new Map<number, number>();
    for (const r of this.requests) if (r.at >= since) counts.set(r.page, (counts.get(r.page) ?? 0) + r.images);
    return counts;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
