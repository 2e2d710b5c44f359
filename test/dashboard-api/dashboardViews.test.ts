import path from 'node:path';
import { assetFile, assetHeaders, dashboardCsp } from '../../functions/lib/dashboardFiles';
import { batchGallery } from '../../functions/lib/batchGallery';
import { BatchScoringInput } from '../../orchestrations/batchScoring/contracts';
import { formatPredictionCsv } from '../../orchestrations/batchScoring/predictionCsv';
import { BlobStore } from '../../shared/ports/blobStore';
import { CandidateRun, PipelineRun } from '../../shared/ports/runStore';
import { deploymentSeries } from '../../shared/usecases/deploymentSeries';
import { emptyWindow, recordInto } from '../../shared/domain/deploymentMetrics';
import { runFailure, stageTimeline } from '../../shared/usecases/runView';

describe('the dashboard files', () => {
  const root = path.resolve(__dirname, '..', '..', 'dashboard');

  it('answers index.html for the app itself and its client-side pages, and a file for a file', () => {
    expect(path.basename(assetFile(''))).toBe('index.html');
    expect(path.basename(assetFile('runs/fashion'))).toBe('index.html');
    expect(path.relative(root, assetFile('assets/main-5JWZ3A2K.js'))).toBe(path.join('assets', 'main-5JWZ3A2K.js'));
  });

  it.each(['../package.json', 'assets/../../host.json', '.env', 'a/.git/config', 'a\\..\\..\\x.js'])('refuses %s', (p) => {
    expect(() => assetFile(p)).toThrow(expect.objectContaining({ status: 404, code: 'DASHBOARD.NOT_FOUND' }));
  });

  it('caches hashed bundles for good and everything else never without asking, always under the CSP', () => {
    expect(assetHeaders('/x/assets/main-5JWZ3A2K.js')).toMatchObject({
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=31536000, immutable',
    });
    expect(assetHeaders('/x/index.html')).toMatchObject({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
    expect(assetHeaders('/x/favicon.ico')['cache-control']).toBe('no-cache');
    expect(assetHeaders('/x/index.html')['content-security-policy']).toBe(dashboardCsp);
    expect(dashboardCsp).toContain("script-src 'self'");
    expect(dashboardCsp).not.toContain('unsafe-inline');
  });
});

describe('the batch-scoring gallery', () => {
  const labels = ['Bag', 'Coat'];
  const input = { labels, output: { container: 'out', prefix: 'batch-scoring/m/batch-1/' } } as BatchScoringInput;
  const files: Record<string, string> = {
    'batch-scoring/m/batch-1/predictions/page-00000.csv': formatPredictionCsv(labels, [
      { blob: 'test/Bag/1.png', label: 'Bag', probabilities: [0.9, 0.1] },
      { blob: 'test/Bag/2.png', label: 'Coat', probabilities: [0.3, 0.7] },
      { blob: 'test/Coat/3.png', label: 'Bag', probabilities: [0.95, 0.05] },
    ]),
    'batch-scoring/m/batch-1/predictions/page-00001.csv': formatPredictionCsv(labels, [
      { blob: 'unsorted/4.png', label: 'Coat', probabilities: [0.2, 0.8] },
      { blob: 'test/Coat/5.png', error: 'not an image' },
    ]),
  };
  const blobs = {
    list: async (_container: string, prefix: string) => ({
      items: Object.keys(files)
        .filter((n) => n.startsWith(prefix))
        .map((name) => ({ name, etag: '', size: 0, metadata: {} })),
    }),
    get: async ({ name }: { name: string }) => (files[name] === undefined ? undefined : Buffer.from(files[name])),
  } as unknown as BlobStore;

  it('puts the misclassified first (most confident first), then the right, the unlabelled and the failed', async () => {
    const gallery = await batchGallery(blobs, input);
    expect(gallery.items.map((i) => i.blob)).toEqual([
      'test/Coat/3.png',
      'test/Bag/2.png',
      'test/Bag/1.png',
      'unsorted/4.png',
      'test/Coat/5.png',
    ]);
    expect(gallery.items[0]).toMatchObject({ trueLabel: 'Coat', predicted: 'Bag', correct: false, probability: 0.95 });
    expect(gallery.items[3]).toMatchObject({ trueLabel: null, correct: null });
    expect(gallery).toMatchObject({ total: 5, labelled: 3, misclassified: 2, distribution: { Bag: 2, Coat: 2 } });
  });
});

describe('the run view', () => {
  it('lays the stages that ran end to end in stage order', () => {
    expect(stageTimeline({ train: 10, validate: 1, provision: 4 })).toEqual([
      { stage: 'validate', seconds: 1, startOffsetSeconds: 0 },
      { stage: 'provision', seconds: 4, startOffsetSeconds: 1 },
      { stage: 'train', seconds: 10, startOffsetSeconds: 5 },
    ]);
  });

  it('gives a failed run its error and the end of the first failed job log, and a good run none', () => {
    const run = { status: 'failed', error: { code: 'TRAIN.ALL_FAILED', message: 'every candidate failed' } } as PipelineRun;
    const log = `${'x'.repeat(5000)}\nValueError: boom`;
    const candidates = [
      { candidateId: 'a', status: 'succeeded' },
      { candidateId: 'b', status: 'failed', error: { code: 'LIVY.BATCH_DEAD', message: log } },
    ] as CandidateRun[];
    const failure = runFailure(run, candidates)!;
    expect(failure.error.code).toBe('TRAIN.ALL_FAILED');
    expect(failure.logTail).toHaveLength(4000);
    expect(failure.logTail!.endsWith('ValueError: boom')).toBe(true);
    expect(runFailure({ ...run, status: 'succeeded' }, candidates)).toBeNull();
  });
});

describe('scoring metrics per minute', () => {
  it('gives each deployment one point per minute window, oldest first, with its percentiles', () => {
    const late = emptyWindow('m', 'm-v2', 2, '2026-12-04T10:01:00.000Z');
    const early = emptyWindow('m', 'm-v2', 2, '2026-12-04T10:00:00.000Z');
    for (const ms of [5, 5, 5, 400]) recordInto(early, ms, false);
    recordInto(late, 10, true);
    const [series] = deploymentSeries([late, early]);
    expect(series.points.map((p) => [p.minute, p.requests, p.errors])).toEqual([
      ['2026-12-04T10:00:00.000Z', 4, 0],
      ['2026-12-04T10:01:00.000Z', 1, 1],
    ]);
    expect(series.points[0].p99LatencyMs).toBeGreaterThan(series.points[0].p50LatencyMs);
  });
});
