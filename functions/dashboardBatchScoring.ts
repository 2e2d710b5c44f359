import path from 'node:path';
import { app, HttpRequest, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { app as composition } from '../shared/composition';
import { BatchScoringInput, batchScoringName } from '../orchestrations/batchScoring/contracts';
import { getBatchScoringHandler } from './batchScoring';
import { batchGallery } from './lib/batchGallery';
import { dashboardRoute } from './lib/dashboardAccess';
import { offsetParam } from './lib/dashboardParams';
import { ApiError, nameParam, positiveIntParam } from './lib/http';

const client = df.input.durableClient();

const instancePattern = /^batch-[0-9a-f]{32}$/;
const listedRuns = 50;
const listedDays = 30;

/** Raster images only: an SVG is a document that can run script. */
const imageTypes: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.bmp': 'image/bmp',
};

async function batchInput(context: InvocationContext, id: string | undefined): Promise<BatchScoringInput> {
  const status =
    id && instancePattern.test(id)
      ? await df
          .getClient(context)
          .getStatus(id, { showInput: true })
          .catch(() => undefined)
      : undefined;
  if (!status?.runtimeStatus || status.name !== batchScoringName)
    throw new ApiError(404, 'BATCH.NOT_FOUND', `no batch scoring run ${id ?? ''}`);
  return status.input as BatchScoringInput;
}

/** GET /api/ui/batch-scoring — the newest batch-scoring runs of the last 30 days, optionally of one model. */
app.http('dashboardBatchScoringRuns', {
  route: 'ui/batch-scoring',
  methods: ['GET'],
  authLevel: 'anonymous',
  extraInputs: [client],
  handler: dashboardRoute(async (req: HttpRequest, context: InvocationContext) => {
    const model = req.query.get('model') ? nameParam(req.query.get('model') ?? undefined, 'MODEL.NOT_FOUND', 'model') : undefined;
    const comp = await composition();
    const durable = df.getClient(context);
    const since = new Date(comp.clock.now().getTime() - listedDays * 24 * 3_600_000);
    const batches = (await durable.getStatusBy({ createdTimeFrom: since }))
      .filter((s) => s.name === batchScoringName)
      .sort((a, b) => String(b.createdTime).localeCompare(String(a.createdTime)));
    const described = await Promise.all(
      batches.slice(0, listedRuns * (model ? 4 : 1)).map(async (s) => {
        const input = (await durable.getStatus(s.instanceId, { showInput: true })).input as BatchScoringInput;
        return {
          instanceId: s.instanceId,
          model: input.model,
          version: input.version,
          via: input.via,
          runtimeStatus: s.runtimeStatus,
          progress: s.customStatus,
          createdTime: s.createdTime,
          lastUpdatedTime: s.lastUpdatedTime,
        };
      }),
    );
    return { jsonBody: { runs: described.filter((r) => !model || r.model === model).slice(0, listedRuns) } };
  }),
});

/** GET /api/ui/batch-scoring/{id} — the keyed run status, with the predicted-class distribution. */
app.http('dashboardBatchScoringRun', {
  route: 'ui/batch-scoring/{id}',
  methods: ['GET'],
  authLevel: 'anonymous',
  extraInputs: [client],
  handler: dashboardRoute(async (req: HttpRequest, context: InvocationContext) => {
    const response = await getBatchScoringHandler(req, context);
    if (response.status !== undefined && response.status !== 200) return response;
    const comp = await composition();
    const gallery = await batchGallery(comp.blobs, await batchInput(context, req.params.id));
    return { jsonBody: { ...(response.jsonBody as object), distribution: gallery.distribution } };
  }),
});

/** GET /api/ui/batch-scoring/{id}/gallery — the scored images, misclassified first where the folder names the true label. */
app.http('dashboardBatchScoringGallery', {
  route: 'ui/batch-scoring/{id}/gallery',
  methods: ['GET'],
  authLevel: 'anonymous',
  extraInputs: [client],
  handler: dashboardRoute(async (req: HttpRequest, context: InvocationContext) => {
    const id = req.params.id;
    const input = await batchInput(context, id);
    const top = positiveIntParam(req.query.get('top'), 'top', 48, 200);
    const offset = offsetParam(req);
    const comp = await composition();
    const gallery = await batchGallery(comp.blobs, input);
    const items = gallery.items.slice(offset, offset + top).map((item) => ({
      ...item,
      imageUrl: `/api/ui/batch-scoring/${id}/images/${item.blob.split('/').map(encodeURIComponent).join('/')}`,
    }));
    return {
      jsonBody: {
        items,
        continuation: offset + top < gallery.total ? String(offset + top) : undefined,
        total: gallery.total,
        labelled: gallery.labelled,
        misclassified: gallery.misclassified,
      },
    };
  }),
});

/** GET /api/ui/batch-scoring/{id}/images/{*blob} — one image the run scored, from its source folder and nowhere else. */
app.http('dashboardBatchScoringImage', {
  route: 'ui/batch-scoring/{id}/images/{*blob}',
  methods: ['GET'],
  authLevel: 'anonymous',
  extraInputs: [client],
  handler: dashboardRoute(async (req: HttpRequest, context: InvocationContext) => {
    const input = await batchInput(context, req.params.id);
    const blob = req.params.blob ?? '';
    const contentType = imageTypes[path.extname(blob).toLowerCase()];
    const notFound = new ApiError(404, 'BATCH.IMAGE_NOT_FOUND', 'the run scored no such image');
    if (!contentType || !blob.startsWith(input.source.prefix) || blob.split('/').includes('..')) throw notFound;
    const comp = await composition();
    const body = await comp.blobs.get({ container: input.source.container, name: blob });
    if (!body) throw notFound;
    return {
      body,
      headers: {
        'content-type': contentType,
        'cache-control': 'private, max-age=3600',
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'; sandbox",
      },
    };
  }),
});
