import { SelectionMetric } from './pipelineSpec';

export interface CandidateMetrics {
  accuracy: number;
  classAverageAccuracy: number;
  rocAuc: Record<string, number>;
}

export interface ScoredCandidate {
  candidateId: string;
  metrics: CandidateMetrics;
  trainSeconds: number;
}

export function metricValue(metric: SelectionMetric, metrics: CandidateMetrics): number {
  if (metric === 'macroRocAuc') {
    const values = Object.values(metrics.rocAuc).filter((v) => Number.isFinite(v));
    return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
  }
  return metrics[metric];
}

/**
 * Best first by the metric; ties go to the faster candidate, then to the smaller id, so the
 * order never depends on which job finished first.
 */
export function rankCandidates(metric: SelectionMetric, candidates: ScoredCandidate[]): ScoredCandidate[] {
  return candidates
    .filter((c) => Number.isFinite(metricValue(metric, c.metrics)))
    .sort(
      (a, b) =>
        metricValue(metric, b.metrics) - metricValue(metric, a.metrics) ||
        a.trainSeconds - b.trainSeconds ||
        (a.candidateId < b.candidateId ? -1 : a.candidateId > b.candidateId ? 1 : 0),
    );
}

export type PromotionDecision = { promote: true; reason: string } | { promote: false; reason: string };

/** Champion/challenger: the challenger replaces production only if better by at least the margin. */
export function decidePromotion(
  metric: SelectionMetric,
  minImprovement: number,
  challenger: { version: string; value: number },
  champion: { version: string; value: number } | undefined,
): PromotionDecision {
  const fmt = (v: number) => v.toFixed(4);
  if (!champion) return { promote: true, reason: `no production model yet; ${challenger.version} has ${metric} ${fmt(challenger.value)}` };
  const gain = challenger.value - champion.value;
  if (gain >= minImprovement && gain > 0) {
    return {
      promote: true,
      reason: `${challenger.version} ${metric} ${fmt(challenger.value)} beats production ${champion.version} (${fmt(champion.value)}) by ${fmt(gain)} ≥ ${fmt(minImprovement)}`,
    };
  }
  return {
    promote: false,
    reason: `${challenger.version} ${metric} ${fmt(challenger.value)} is not better than production ${champion.version} (${fmt(champion.value)}) by ${fmt(minImprovement)} (gain ${fmt(gain)})`,
  };
}
