/**
 * Per-deployment scoring metrics, kept per one-minute window so that windows from many instances merge by
 * addition. Latency goes into a log-scale histogram (buckets 25 % apart) so percentiles survive the merge.
 */
export const metricsWindowMs = 60_000;

/** The longest look back the metrics API answers; windows are kept a day longer, then Cosmos DB expires them. */
export const maxMetricsLookbackMinutes = 7 * 24 * 60;
export const metricsRetentionSeconds = maxMetricsLookbackMinutes * 60 + 24 * 60 * 60;

/** Bucket i holds latencies in [firstBucketMs·growth^(i-1), firstBucketMs·growth^i); bucket 0 everything below. */
const firstBucketMs = 0.25;
const bucketGrowth = 1.25;
const lastBucket = 60;

export interface MetricsWindow {
  model: string;
  deployment: string;
  version: number;
  /** ISO time the window starts at, a multiple of `metricsWindowMs`. */
  windowStart: string;
  requests: number;
  /** Timeouts, connection failures and 5xx answers of the deployment (a 4xx is the caller's error, not counted). */
  errors: number;
  latencyMsSum: number;
  /** Sparse histogram: bucket index → count. */
  latencyBuckets: Record<string, number>;
}

export interface DeploymentMetricsSummary {
  deployment: string;
  version: number;
  since: string;
  requests: number;
  errors: number;
  errorRate: number;
  meanLatencyMs: number;
  p50LatencyMs: number;
  p99LatencyMs: number;
}

export function windowStartOf(time: Date): string {
  return new Date(Math.floor(time.getTime() / metricsWindowMs) * metricsWindowMs).toISOString();
}

export function latencyBucket(ms: number): number {
  if (ms < firstBucketMs) return 0;
  return Math.min(lastBucket, 1 + Math.floor(Math.log(ms / firstBucketMs) / Math.log(bucketGrowth)));
}

/** The geometric middle of a bucket: within 12 % of any latency in it. */
function bucketMiddleMs(bucket: number): number {
  if (bucket === 0) return firstBucketMs / 2;
  return firstBucketMs * bucketGrowth ** (bucket - 0.5);
}

export function emptyWindow(model: string, deployment: string, version: number, windowStart: string): MetricsWindow {
  return { model, deployment, version, windowStart, requests: 0, errors: 0, latencyMsSum: 0, latencyBuckets: {} };
}

export function recordInto(window: MetricsWindow, latencyMs: number, failed: boolean): void {
  window.requests += 1;
  if (failed) window.errors += 1;
  window.latencyMsSum += latencyMs;
  const bucket = String(latencyBucket(latencyMs));
  window.latencyBuckets[bucket] = (window.latencyBuckets[bucket] ?? 0) + 1;
}

/** Adds `extra` into `into` (same deployment and window). */
export function mergeWindow(into: MetricsWindow, extra: MetricsWindow): MetricsWindow {
  const latencyBuckets = { ...into.latencyBuckets };
  for (const [bucket, count] of Object.entries(extra.latencyBuckets)) latencyBuckets[bucket] = (latencyBuckets[bucket] ?? 0) + count;
  return {
    ...into,
    requests: into.requests + extra.requests,
    errors: into.errors + extra.errors,
    latencyMsSum: into.latencyMsSum + extra.latencyMsSum,
    latencyBuckets,
  };
}

function percentileMs(buckets: Record<string, number>, total: number, fraction: number): number {
  const rank = Math.max(1, Math.ceil(total * fraction));
  let seen = 0;
  for (const bucket of Object.keys(buckets)
    .map(Number)
    .sort((a, b) => a - b)) {
    seen += buckets[String(bucket)];
    if (seen >= rank) return round(bucketMiddleMs(bucket));
  }
  return 0;
}

const round = (n: number) => Math.round(n * 100) / 100;

/** One summary per deployment over all the given windows. */
export function summarizeWindows(windows: MetricsWindow[], since: string): DeploymentMetricsSummary[] {
  const merged = new Map<string, MetricsWindow>();
  for (const w of windows) {
    const current = merged.get(w.deployment);
    merged.set(w.deployment, current ? mergeWindow(current, w) : w);
  }
  return [...merged.values()]
    .sort((a, b) => a.deployment.localeCompare(b.deployment))
    .map((w) => ({
      deployment: w.deployment,
      version: w.version,
      since,
      requests: w.requests,
      errors: w.errors,
      errorRate: w.requests === 0 ? 0 : Math.round((w.errors / w.requests) * 10_000) / 10_000,
      meanLatencyMs: w.requests === 0 ? 0 : round(w.latencyMsSum / w.requests),
      p50LatencyMs: percentileMs(w.latencyBuckets, w.requests, 0.5),
      p99LatencyMs: percentileMs(w.latencyBuckets, w.requests, 0.99),
    }));
}
