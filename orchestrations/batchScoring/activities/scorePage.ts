import { ModelRegistry } from '../../../shared/ports/modelRegistry';
import { failure } from '../../durable/contract';
import { PredictionRow } from '../predictionCsv';
import { BatchScoringActivityDeps, BatchScoringHandlers } from './deps';
import { listPageBlobs, writePage, writtenPage } from './pageFiles';
import { pool } from './pool';
import { ScorerClient } from './scorerClient';

/** Images per POST /score (the model server takes at most 64 by default). */
const imagesPerRequest = 32;
const downloadConcurrency = 16;
const requestsInFlight = 2;

/** Endpoints of the version's healthy deployments, the one with most traffic first. */
async function healthyEndpoints(registry: ModelRegistry, model: string, version: number): Promise<string[]> {
  const deployments = await registry.listDeployments(model);
  return deployments
    .filter((d) => d.version === version && d.state === 'healthy' && d.endpoint)
    .sort((a, b) => b.trafficPercent - a.trafficPercent || a.name.localeCompare(b.name))
    .map((d) => d.endpoint!);
}

export function scorePageActivity({
  blobs,
  registry,
}: Pick<BatchScoringActivityDeps, 'blobs' | 'registry'>): Pick<BatchScoringHandlers, 'scorePage'> {
  return {
    async scorePage({ run, source, page, pageSize, labels }) {
      // Checked first: after a crash, a page that was written stays as it is.
      const written = await writtenPage(blobs, run.output, page.index, labels);
      if (written) return { ok: true, ...written };
      const endpoints = await healthyEndpoints(registry, run.model, run.version);
      if (endpoints.length === 0) return failure('SCORE.NO_DEPLOYMENT', `version ${run.version} of ${run.model} has no healthy deployment`);
      const items = await listPageBlobs(blobs, source, page, pageSize);
      const images: (Buffer | undefined)[] = new Array(items.length);
      await pool(
        items.map((_, i) => i),
        downloadConcurrency,
        async (i) => {
          images[i] = await blobs.get({ container: source.container, name: items[i].name });
        },
      );
      const rows: PredictionRow[] = new Array(items.length);
      const present: number[] = [];
      items.forEach((item, i) => {
        if (images[i]) present.push(i);
        else rows[i] = { blob: item.name, error: 'the blob was deleted before it was scored' };
      });
      const client = new ScorerClient({ endpoints, labels, page: page.index });
      const chunks: number[][] = [];
      for (let at = 0; at < present.length; at += imagesPerRequest) chunks.push(present.slice(at, at + imagesPerRequest));
      await pool(chunks, requestsInFlight, async (chunk) => {
        const scored = await client.score(
          chunk.map((i) => items[i].name),
          chunk.map((i) => images[i]!),
        );
        chunk.forEach((i, k) => (rows[i] = scored[k]));
      });
      return { ok: true, ...(await writePage(blobs, run.output, page.index, labels, rows)) };
    },
  };
}
