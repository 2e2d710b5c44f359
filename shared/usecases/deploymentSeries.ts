import { MetricsWindow, summarizeWindows } from '../domain/deploymentMetrics';

export interface MinutePoint {
  minute: string;
  requests: number;
  errors: number;
  p50LatencyMs: number;
  p99LatencyMs: number;
}

export interface DeploymentSeries {
  deployment: string;
  version: number;
  points: MinutePoint[];
}

/** Per deployment, one point per stored minute window, oldest first (a minute without traffic has no window). */
export function deploymentSeries(windows: MetricsWindow[]): DeploymentSeries[] {
  const byDeployment = new Map<string, MetricsWindow[]>();
  for (const w of windows) byDeployment.set(w.deployment, [...(byDeployment.get(w.deployment) ?? []), w]);
  return [...byDeployment.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([deployment, own]) => ({
      deployment,
      version: own[own.length - 1].version,
      points: own
        .sort((a, b) => a.windowStart.localeCompare(b.windowStart))
        .map((w) => {
          const [summary] = summarizeWindows([w], w.windowStart);
          return {
            minute: w.windowStart,
            requests: summary.requests,
            errors: summary.errors,
            p50LatencyMs: summary.p50LatencyMs,
            p99LatencyMs: summary.p99LatencyMs,
          };
        }),
    }));
}
