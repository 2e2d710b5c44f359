import { createHash } from 'node:crypto';
import { ComputeTargetKind } from '../../shared/domain/pipelineSpec';
import { BlobStore } from '../../shared/ports/blobStore';
import { Clock } from '../../shared/ports/clock';
import { ComputeTarget } from '../../shared/ports/computeTarget';
import { ModelRegistry } from '../../shared/ports/modelRegistry';
import { ResourceLedger } from '../../shared/ports/resourceLedger';
import { pool } from '../trainingPipeline/pipeline.activities';
import { isData, listPageBlobs, pageRef, writePage, writtenPage } from './activities/pageFiles';
import { blobLocationOf } from './activities/packageManifest';
import { ScorerClient } from './activities/scorerClient';
import { SparkPredictions } from './activities/sparkPredictions';
import {
  activities,
  BatchScoringSummary,
  BlobLocation,
  Failure,
  outputFiles,
  PageDescriptor,
  PageListing,
  PageResult,
  RunContext,
  Tagged,
} from './contracts';
import { formatPredictionCsv, PredictionRow } from './predictionCsv';

export interface BatchScoringDeps {
  blobs: BlobStore;
  registry: ModelRegistry;
  ledger: ResourceLedger;
  compute(kind: ComputeTargetKind): ComputeTarget;
  clock: Clock;
}

/** Pages listed per activity call: the orchestrator loops, so one call stays short on any source. */
const pagesPerListing = 100;
/** Images per POST /score (the model server takes at most 64 by default). */
const imagesPerRequest = 32;
const downloadConcurrency = 16;
const requestsInFlight = 2;
/** Beyond this many rows the combined CSV is skipped: the page files are the output. */
const maxCombinedRows = 500_000;
const maxMessage = 2000;
const sparkBatchName = 'batch-score';
const clusterSizes = { headVmSize: 'Standard_D12_v2', workerVmSize: 'Standard_D4_v2', workerNodes: 2 };

const fail = (code: string, message: string): Failure => ({ ok: false, code, message: message.slice(0, maxMessage) });

/** Where the Spark route's job writes before its rows are split into pages. */
export function sparkOutput(run: RunContext): BlobLocation {
  return { container: run.output.container, prefix: `${run.output.prefix}${outputFiles.spark}` };
}

/** A cluster name Azure accepts, derived from the instance id, so a retried create finds the first one. */
export function scoringClusterName(instanceId: string): string {
  return `canopy-score-${createHash('sha256').update(instanceId).digest('hex').slice(0, 12)}`;
}

/** Batch scoring's activities, built from ports; each is idempotent (a page already written is never scored again). */
export function createActivities(deps: BatchScoringDeps) {
  const { blobs, registry, ledger, clock } = deps;

  async function healthyEndpoints(model: string, version: number): Promise<string[]> {
    const deployments = await registry.listDeployments(model);
    return deployments
      .filter((d) => d.version === version && d.state === 'healthy' && d.endpoint)
      .sort((a, b) => b.trafficPercent - a.trafficPercent || a.name.localeCompare(b.name))
      .map((d) => d.endpoint!);
  }

  return {
    async [activities.listPages]({
      source,
      pageSize,
      continuation,
      firstIndex,
    }: {
      source: BlobLocation;
      pageSize: number;
      continuation?: string;
      firstIndex: number;
    }): Promise<PageListing> {
      const pages: PageDescriptor[] = [];
      let next = continuation;
      while (pages.length < pagesPerListing) {
        const listed = await blobs.list(source.container, source.prefix, { pageSize, continuation: next });
        const data = listed.items.filter((item) => isData(item.name));
        if (data.length > 0)
          pages.push({
            index: firstIndex + pages.length,
            continuation: next,
            first: data[0].name,
            last: data[data.length - 1].name,
            count: data.length,
          });
        next = listed.next;
        if (!next) break;
      }
      return { pages, next };
    },

    async [activities.scorePage]({
      run,
      source,
      page,
      pageSize,
      labels,
    }: {
      run: RunContext;
      source: BlobLocation;
      page: PageDescriptor;
      pageSize: number;
      labels: string[];
    }): Promise<Tagged<PageResult>> {
      // Checked first: after a crash, a page that was written stays as it is.
      const written = await writtenPage(blobs, run.output, page.index, labels);
      if (written) return { ok: true, ...written };
      const endpoints = await healthyEndpoints(run.model, run.version);
      if (endpoints.length === 0) return fail('SCORE.NO_DEPLOYMENT', `version ${run.version} of ${run.model} has no healthy deployment`);
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

    async [activities.beginCluster]({
      run,
      target,
      maxLifetimeMinutes,
      now,
    }: {
      run: RunContext;
      target: ComputeTargetKind;
      maxLifetimeMinutes: number;
      now: string;
    }): Promise<Tagged<{ cluster: string; ledgerId: string }>> {
      const cluster = scoringClusterName(run.instanceId);
      const ledgerId = `cluster:${target}:${cluster}`;
      const expiresAt = new Date(new Date(now).getTime() + maxLifetimeMinutes * 60_000).toISOString();
      // Recorded before the create: even if this process dies right after, the reaper finds it.
      await ledger.record({
        id: ledgerId,
        kind: 'cluster',
        name: cluster,
        target,
        pipeline: `batch-scoring:${run.model}`,
        instanceId: run.instanceId,
        createdAt: now,
        expiresAt,
        owned: true,
      });
      try {
        await deps.compute(target).beginCreateCluster({
          name: cluster,
          ...clusterSizes,
          tags: { 'canopy-batch-scoring': run.instanceId, 'canopy-expires-at': expiresAt },
        });
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (typeof code === 'string' && /^(COMPUTE|CONFIG)\./.test(code)) return { ...fail(code, (err as Error).message) };
        throw err;
      }
      return { ok: true, cluster, ledgerId };
    },

    async [activities.getClusterState]({
      target,
      cluster,
    }: {
      target: ComputeTargetKind;
      cluster: string;
    }): Promise<{ state: string; error?: string }> {
      const status = await deps.compute(target).getCluster(cluster);
      return { state: status?.state ?? 'deleted', error: status?.error };
    },

    async [activities.submitSparkBatch]({
      run,
      target,
      cluster,
      source,
      packageUri,
    }: {
      run: RunContext;
      target: ComputeTargetKind;
      cluster: string;
      source: BlobLocation;
      packageUri: string;
    }): Promise<Tagged<{ batchId: string }>> {
      try {
        const { batchId } = await deps.compute(target).submitBatch(cluster, {
          name: sparkBatchName,
          job: 'batch_score',
          input: source,
          output: sparkOutput(run),
          model: blobLocationOf(packageUri),
          args: ['--format', 'csv'],
        });
        return { ok: true, batchId };
      } catch (err) {
        return fail('SPARK.SUBMIT_FAILED', (err as Error).message);
      }
    },

    async [activities.getSparkBatchState]({
      target,
      cluster,
      batchId,
    }: {
      target: ComputeTargetKind;
      cluster: string;
      batchId: string;
    }): Promise<{ state: string; log?: string }> {
      const status = await deps.compute(target).getBatch(cluster, batchId);
      return status ?? { state: 'dead', log: `batch ${batchId} is unknown to the compute target` };
    },

    /** Splits the job's rows into the same page files as the scorer route writes; pages already written stay. */
    async [activities.writeSparkPages]({
      run,
      source,
      pages,
      pageSize,
      labels,
    }: {
      run: RunContext;
      source: BlobLocation;
      pages: PageDescriptor[];
      pageSize: number;
      labels: string[];
    }): Promise<Tagged<{ pages: PageResult[] }>> {
      const predictions = await SparkPredictions.read(blobs, sparkOutput(run), labels);
      if (predictions.size === 0) return fail('SPARK.NO_OUTPUT', 'the batch_score job succeeded but left no predictions');
      const results: PageResult[] = [];
      let root: string | undefined;
      for (const page of pages) {
        const written = await writtenPage(blobs, run.output, page.index, labels);
        if (written) {
          results.push(written);
          continue;
        }
        const relative = (await listPageBlobs(blobs, source, page, pageSize)).map((item) => ({
          blob: item.name,
          path: item.name.slice(source.prefix.length),
        }));
        root ??= predictions.rootFor(relative.slice(0, 10).map((r) => r.path));
        const rows = relative.map((r): PredictionRow => {
          const found = root !== undefined ? predictions.get(root, r.path) : undefined;
          return found ? { ...found, blob: r.blob } : { blob: r.blob, error: 'not in the Spark job output' };
        });
        results.push(await writePage(blobs, run.output, page.index, labels, rows));
      }
      return { ok: true, pages: results };
    },

    async [activities.tearDownCluster]({
      target,
      cluster,
      ledgerId,
    }: {
      target: ComputeTargetKind;
      cluster: string;
      ledgerId: string;
    }): Promise<{ deleted: boolean }> {
      const compute = deps.compute(target);
      await compute.killBatch(cluster, sparkBatchName);
      await compute.beginDeleteCluster(cluster);
      const state = await compute.getCluster(cluster);
      if (state && state.state !== 'deleted') return { deleted: false };
      await ledger.markDeleted(ledgerId, clock.now());
      return { deleted: true };
    },

    /** `summary.json` and, when not too large, `predictions.csv`: every page's rows under one header. */
    async [activities.writeSummary]({
      run,
      summary,
      pages,
    }: {
      run: RunContext;
      summary: BatchScoringSummary;
      pages: number[];
    }): Promise<{ combined: boolean }> {
      let combined = false;
      if (summary.status === 'succeeded' && summary.total <= maxCombinedRows) {
        const parts: string[] = [formatPredictionCsv(summary.labels, [])];
        for (const index of pages) {
          const text = (await blobs.get(pageRef(run.output, index)))?.toString('utf8') ?? '';
          parts.push(text.slice(text.indexOf('\n') + 1));
        }
        await blobs.create({ container: run.output.container, name: `${run.output.prefix}${outputFiles.combined}` }, parts.join(''), {
          contentType: 'text/csv',
        });
        combined = true;
      }
      await blobs.create(
        { container: run.output.container, name: `${run.output.prefix}${outputFiles.summary}` },
        JSON.stringify({ ...summary, combinedCsv: combined ? outputFiles.combined : undefined }, null, 2),
        { contentType: 'application/json' },
      );
      return { combined };
    },
  };
}

export type BatchScoringActivities = ReturnType<typeof createActivities>;
