import { SelectionMetric } from '../domain/pipelineSpec';
import { metricValue } from '../domain/selection';
import { CandidateRun, RunStore, StoredMetric, storedMetrics } from '../ports/runStore';

export interface LeaderboardRow {
  instanceId: string;
  candidateId: string;
  classifier: string;
  featurizer: string;
  params: CandidateRun['params'];
  value: number;
  accuracy: number;
  classAverageAccuracy: number;
  durationSeconds?: number;
  endedAt?: string;
}

const isStored = (metric: SelectionMetric): metric is StoredMetric => (storedMetrics as readonly string[]).includes(metric);

/**
 * The pipeline's best succeeded candidates across runs by `metric`; ties go to the faster, then the smaller id. A
 * stored metric is ranked by the store (the partition's top rows only); the derived macro AUC needs every candidate.
 */
export async function leaderboard(runs: RunStore, pipeline: string, metric: SelectionMetric, top: number): Promise<LeaderboardRow[]> {
  const candidates = isStored(metric)
    ? await runs.topCandidateRuns(pipeline, metric, top)
    : (await runs.listCandidateRuns(pipeline)).filter((c) => c.status === 'succeeded');
  return candidates
    .filter((c) => c.metrics && Number.isFinite(metricValue(metric, c.metrics)))
    .map((c) => ({
      instanceId: c.instanceId,
      candidateId: c.candidateId,
      classifier: c.classifier,
      featurizer: c.featurizer,
      params: c.params,
      value: metricValue(metric, c.metrics!),
      accuracy: c.metrics!.accuracy,
      classAverageAccuracy: c.metrics!.classAverageAccuracy,
      durationSeconds: c.durationSeconds,
      endedAt: c.endedAt,
    }))
    .sort((a, b) => b.value - a.value || (a.durationSeconds ?? 0) - (b.durationSeconds ?? 0) || a.candidateId.localeCompare(b.candidateId))
    .slice(0, top);
}
