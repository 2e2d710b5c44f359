import { ComputeTargetKind } from '../../shared/domain/pipelineSpec';
import { activity } from '../durable/contract';
import { ClusterHandle } from '../provisionCluster/contracts';

export { cancelEventName } from '../durable/cancellation';

export const batchScoringName = 'batchScoring';

export interface BlobLocation {
  container: string;
  prefix: string;
}

export type ScoringRoute = 'scorer' | 'spark';

export interface BatchScoringInput {
  model: string;
  version: number;
  /** The version's model package folder (a blob URL); Spark reads it, the scorer already serves it. */
  packageUri: string;
  /** The model's labels, in the order of the CSV's probability columns. */
  labels: string[];
  source: BlobLocation;
  output: BlobLocation;
  via: ScoringRoute;
  /** Blobs per page: one page is one activity and one `predictions/page-<n>.csv`. */
  pageSize: number;
  /** Pages scored at once through the scorer. */
  concurrency: number;
  /** Where the Spark route runs, and how often it is polled. */
  compute: { target: ComputeTargetKind; timeoutMinutes: number; maxLifetimeMinutes: number };
  pollSeconds: number;
}

/**
 * A page of the source listing, kept small for the orchestration history: the listing token it
 * starts from and its first and last blob names (names are listed in order, so these bound it).
 */
export interface PageDescriptor {
  index: number;
  continuation?: string;
  first: string;
  last: string;
  count: number;
}

export interface PageListing {
  pages: PageDescriptor[];
  next?: string;
}

/** What one page's CSV holds. `resumed`: the CSV existed already, so nothing was scored for it. */
export interface PageResult {
  index: number;
  rows: number;
  scored: number;
  failed: number;
  perClass: Record<string, number>;
  /** A few of the page's failures: blob name and why. */
  failures: { blob: string; error: string }[];
  resumed: boolean;
}

export interface RunContext {
  instanceId: string;
  model: string;
  version: number;
  output: BlobLocation;
}

export type Phase = 'listing' | 'provisioning' | 'scoring' | 'summarizing' | 'done';

export interface BatchScoringStatus {
  phase: Phase;
  via: ScoringRoute;
  pages: { total: number; done: number; resumed: number };
  images: { scored: number; failed: number };
  startedAt: string;
  elapsedSeconds: number;
  output: string;
  cancelRequested?: boolean;
}

export interface BatchScoringSummary {
  status: 'succeeded' | 'failed' | 'cancelled';
  model: string;
  version: number;
  via: ScoringRoute;
  source: BlobLocation;
  output: BlobLocation;
  labels: string[];
  pages: { total: number; written: number; resumed: number };
  total: number;
  scored: number;
  failed: number;
  perClass: Record<string, number>;
  failures: { blob: string; error: string }[];
  /** Wall time per phase and the whole run, in seconds. */
  seconds: Record<string, number>;
  startedAt: string;
  endedAt?: string;
  error?: { code: string; message: string };
}

/** Where a run writes: the page CSVs, the combined CSV and the summary. */
export const outputFiles = {
  page: (index: number) => `predictions/page-${String(index).padStart(5, '0')}.csv`,
  combined: 'predictions.csv',
  summary: 'summary.json',
  /** The Spark route's raw job output, before it is split into pages. */
  spark: 'spark/',
} as const;

/** Batch scoring's activities. Inputs are references (locations, a page's bounds), never the run's data. */
export const batchScoringActivities = {
  listPages: activity<{ source: BlobLocation; pageSize: number; continuation?: string; firstIndex: number }, PageListing>(
    'batchScoring_listPages',
  ),
  scorePage: activity<{ run: RunContext; source: BlobLocation; page: PageDescriptor; pageSize: number; labels: string[] }, PageResult>(
    'batchScoring_scorePage',
  ),
  submitSparkBatch: activity<{ run: RunContext; cluster: ClusterHandle; source: BlobLocation; packageUri: string }, { batchId: string }>(
    'batchScoring_submitSparkBatch',
  ),
  getSparkBatchState: activity<{ cluster: ClusterHandle; batchId: string }, { state: string; log?: string }>(
    'batchScoring_getSparkBatchState',
  ),
  /** Splits the job's rows into the page files of the first `pageCount` pages of the source, listed again. */
  writeSparkPages: activity<
    { run: RunContext; source: BlobLocation; pageSize: number; labels: string[]; pageCount: number },
    { pages: PageResult[] }
  >('batchScoring_writeSparkPages'),
  /** Pages are numbered from 0, so the summary's page total names every page file. */
  writeSummary: activity<{ run: RunContext; summary: BatchScoringSummary }, { combined: boolean }>('batchScoring_writeSummary'),
};
