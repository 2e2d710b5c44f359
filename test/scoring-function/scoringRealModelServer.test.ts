import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CanopyUnderTest, repoRoot, stores } from '../support/canopyUnderTest';
import { freePort } from '../support/devhostProcess';
import { imageModelPackage } from '../support/modelPackages';

// The scoring function in front of a real model server (dist/scoring/main.js) loaded with a real image package.
let canopy: CanopyUnderTest;
let server: ChildProcess | undefined;
let endpoint: string;
let labels: string[];
let imagesDir: string;

beforeAll(async () => {
  const pkg = imageModelPackage();
  imagesDir = pkg.imagesDir;
  labels = (JSON.parse(fs.readFileSync(path.join(pkg.packageDir, 'manifest.json'), 'utf8')) as { labels: string[] }).labels;
  const port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  server = spawn(
    process.execPath,
    [path.join(repoRoot, 'dist', 'scoring', 'main.js'), '--package', pkg.packageDir, '--port', String(port), '--host', '127.0.0.1'],
    { env: { ...process.env, MODEL_NAME: 'fashion', MODEL_VERSION: '1' }, stdio: 'ignore' },
  );
  for (
    let i = 0;
    i < 600 &&
    !(await fetch(`${endpoint}/health`).then(
      (r) => r.ok,
      () => false,
    ));
    i++
  )
    await new Promise((r) => setTimeout(r, 100));
  // The containers first: the host's own start creates them too, and two creates at once conflict.
  const { registry } = await stores();
  canopy = await CanopyUnderTest.start();
  const now = new Date();
  const version = await registry.createVersion(
    'fashion-real',
    {
      packageUri: pkg.packageDir,
      metrics: { accuracy: 0.8 } as never,
      lineage: {
        pipeline: 'fashion-real',
        instanceId: 'fashion-real--1',
        candidateId: 'c1',
        classifier: 'logistic_regression',
        featurizer: 'squeezenet1.1',
        params: {},
        specVersion: 1,
        dataSnapshot: 'test',
      },
    },
    now,
  );
  await registry.upsertDeployment({
    model: 'fashion-real',
    name: 'fashion-real-v1',
    version: version.version,
    target: 'local',
    endpoint,
    state: 'healthy',
    trafficPercent: 100,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  });
}, 600_000);

afterAll(async () => {
  await canopy?.stop();
  server?.kill('SIGTERM');
});

function testImage(): { label: string; png: Buffer } {
  const label = fs.readdirSync(path.join(imagesDir, 'test')).sort()[0];
  const file = fs.readdirSync(path.join(imagesDir, 'test', label)).sort()[0];
  return { label, png: fs.readFileSync(path.join(imagesDir, 'test', label, file)) };
}

it('scores a real image through the function and answers what the model server answers', async () => {
  const body = JSON.stringify({ images: [testImage().png.toString('base64')] });
  const res = await fetch(`${canopy.host.baseUrl}/api/models/fashion-real/score`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-functions-key': canopy.host.functionKey },
    body,
  });
  expect(res.status).toBe(200);
  expect([res.headers.get('x-canopy-deployment'), res.headers.get('x-canopy-model-version')]).toEqual(['fashion-real-v1', '1']);
  const viaFunction = (await res.json()) as { predictions: { label: string; probabilities: Record<string, number> }[] };
  expect(viaFunction.predictions).toHaveLength(1);
  expect(labels).toContain(viaFunction.predictions[0].label);
  const direct = await fetch(`${endpoint}/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  expect(((await direct.json()) as typeof viaFunction).predictions).toEqual(viaFunction.predictions);
});

it('forwards a multipart upload of the image and gets the same prediction as the JSON form', async () => {
  const { png } = testImage();
  const form = new FormData();
  form.append('image', new Blob([png], { type: 'image/png' }), 'image.png');
  const res = await fetch(`${canopy.host.baseUrl}/api/models/fashion-real/score`, {
    method: 'POST',
    headers: { 'x-functions-key': canopy.host.functionKey },
    body: form,
  });
  expect(res.status).toBe(200);
  const multipart = (await res.json()) as { predictions: { label: string }[] };
  const json = await fetch(`${endpoint}/score`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ images: [png.toString('base64')] }),
  });
  expect(multipart.predictions).toEqual(((await json.json()) as typeof multipart).predictions);
});

it("passes the model server's 400 for input it cannot score straight through", async () => {
  const res = await fetch(`${canopy.host.baseUrl}/api/models/fashion-real/score`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-functions-key': canopy.host.functionKey },
    body: JSON.stringify({ images: ['not base64!'] }),
  });
  expect(res.status).toBe(400);
  expect(((await res.json()) as { error: { code: string } }).error.code).toMatch(/^SCORE\./);
  expect(res.headers.get('x-canopy-attempts')).toBe('1');
});
