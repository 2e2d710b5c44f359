import { toCanopyError } from '../../../shared/errors';
import { failure } from '../../durable/contract';
import { BlobLocation, outputFiles, PageResult, RunContext } from '../contracts';
import { PredictionRow } from '../predictionCsv';
import { BatchScoringActivityDeps, BatchScoringHandlers } from './deps';
import { blobLocationOf } from './packageManifest';
import { writePage, writtenPage } from './pageFiles';
import { sourcePages } from './sourcePages';
import { SparkPredictions } from './sparkPredictions';

/** The run's one batch: submitting it again (a retried activity) finds the first. */
const sparkBatchName = 'batch-score';

/** Where the Spark route's job writes before its rows are split into pages. */
export function sparkOutput(run: RunContext): BlobLocation {
  return { container: run.output.container, prefix: `${run.output.prefix}${outputFiles.spark}` };
}

type SparkHandlers = Pick<BatchScoringHandlers, 'submitSparkBatch' | 'getSparkBatchState' | 'writeSparkPages'>;

export function sparkActivities({ blobs, compute }: Pick<BatchScoringActivityDeps, 'blobs' | 'compute'>): SparkHandlers {
  return {
    async submitSparkBatch({ run, cluster, source, packageUri }) {
      try {
        const { batchId } = await compute(cluster.target).submitBatch(cluster.name, {
          name: sparkBatchName,
          job: 'batch_score',
          input: source,
          output: sparkOutput(run),
          model: blobLocationOf(packageUri),
          args: ['--format', 'csv'],
        });
        return { ok: true, batchId };
      } catch (err) {
        const error = toCanopyError(err);
        if (error.transient) throw error;
        return failure('SPARK.SUBMIT_FAILED', error.message);
      }
    },

    async getSparkBatchState({ cluster, batchId }) {
      const status = await compute(cluster.target).getBatch(cluster.name, batchId);
      return { ok: true, ...(status ?? { state: 'dead', log: `batch ${batchId} is unknown to the compute target` }) };
    },

    /** Splits the job's rows into the same page files as the scorer route writes; pages already written stay. */
    async writeSparkPages({ run, source, pageSize, labels, pageCount }) {
      const predictions = await SparkPredictions.read(blobs, sparkOutput(run), labels);
      if (predictions.size === 0) return failure('SPARK.NO_OUTPUT', 'the batch_score job succeeded but left no predictions');
      const pages: PageResult[] = [];
      let root: string | undefined;
      for await (const { page, items } of sourcePages(blobs, source, pageSize)) {
        if (page.index >= pageCount) break;
        const written = await writtenPage(blobs, run.output, page.index, labels);
        if (written) {
          pages.push(written);
          continue;
        }
        const relative = items.map((item) => ({ blob: item.name, path: item.name.slice(source.prefix.length) }));
        root ??= predictions.rootFor(relative.slice(0, 10).map((r) => r.path));
        const rows = relative.map((r): PredictionRow => {
          const found = root !== undefined ? predictions.get(root, r.path) : undefined;
          return found ? { ...found, blob: r.blob } : { blob: r.blob, error: 'not in the Spark job output' };
        });
        pages.push(await writePage(blobs, run.output, page.index, labels, rows));
      }
      return { ok: true, pages };
    },
  };
}
