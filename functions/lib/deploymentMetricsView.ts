import { Composition } from '../../shared/composition';
import { DeploymentMetricsSummary, metricsWindowMs, summarizeWindows } from '../../shared/domain/deploymentMetrics';
import { MetricsRecorder } from './metricsRecorder';

let recorder: MetricsRecorder | undefined;

/** The process's recorder of scoring outcomes. */
export function metricsRecorder(comp: Composition): MetricsRecorder {
  recorder ??= new MetricsRecorder(comp.deploymentMetrics, comp.config.scoring.metricsFlushSeconds, (err) =>
    // A background flush has no invocation to log to; the windows stay pending for the next flush.
    console.warn(`deployment metrics flush failed: ${(err as Error).message}`),
  );
  return recorder;
}

const defaultMetricsMinutes = 60;

/**
 * Per-deployment metrics of a model over the last `minutes` (whole windows), this instance's pending
 * outcomes included, so a decision made right after traffic sees that traffic.
 */
export async function deploymentMetricsOf(
  comp: Composition,
  model: string,
  minutes = defaultMetricsMinutes,
): Promise<DeploymentMetricsSummary[]> {
  await metricsRecorder(comp).flush();
  const now = comp.clock.now().getTime();
  const since = new Date(Math.floor((now - minutes * 60_000) / metricsWindowMs) * metricsWindowMs + metricsWindowMs);
  return summarizeWindows(await comp.deploymentMetrics.list(model, since), since.toISOString());
}
