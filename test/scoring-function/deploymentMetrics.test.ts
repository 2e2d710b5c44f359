import {
  emptyWindow,
  latencyBucket,
  mergeWindow,
  recordInto,
  summarizeWindows,
  windowStartOf,
} from '../../shared/domain/deploymentMetrics';

describe('deployment metrics windows', () => {
  it('starts windows on whole minutes', () => {
    expect(windowStartOf(new Date('2026-11-22T10:15:42.123Z'))).toBe('2026-11-22T10:15:00.000Z');
  });

  it('puts latencies in buckets 25 % apart and keeps the percentiles within 12 %', () => {
    expect(latencyBucket(0.1)).toBe(0);
    expect(latencyBucket(1)).toBeLessThan(latencyBucket(1.3));
    const w = emptyWindow('m', 'd1', 1, '2026-11-22T10:15:00.000Z');
    for (let i = 1; i <= 100; i++) recordInto(w, i, false);
    const [summary] = summarizeWindows([w], w.windowStart);
    expect(summary.requests).toBe(100);
    expect(summary.meanLatencyMs).toBe(50.5);
    expect(Math.abs(summary.p50LatencyMs - 50) / 50).toBeLessThan(0.12);
    expect(Math.abs(summary.p99LatencyMs - 99) / 99).toBeLessThan(0.12);
  });

  it('merges windows by addition and summarises per deployment with the error rate', () => {
    const a = emptyWindow('m', 'd1', 1, '2026-11-22T10:15:00.000Z');
    const b = emptyWindow('m', 'd1', 1, '2026-11-22T10:15:00.000Z');
    const c = emptyWindow('m', 'd2', 2, '2026-11-22T10:16:00.000Z');
    recordInto(a, 10, false);
    recordInto(a, 10, true);
    recordInto(b, 20, false);
    recordInto(b, 30, true);
    recordInto(c, 5, false);
    const merged = mergeWindow(a, b);
    expect(merged.requests).toBe(4);
    expect(merged.errors).toBe(2);
    expect(Object.values(merged.latencyBuckets).reduce((x, y) => x + y, 0)).toBe(4);
    const summaries = summarizeWindows([a, b, c], '2026-11-22T10:00:00.000Z');
    expect(summaries.map((s) => [s.deployment, s.version, s.requests, s.errors, s.errorRate, s.meanLatencyMs])).toEqual([
      ['d1', 1, 4, 2, 0.5, 17.5],
      ['d2', 2, 1, 0, 0, 5],
    ]);
  });
});
