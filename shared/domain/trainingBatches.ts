import { Candidate } from './candidateGrid';

/**
 * The longest one Spark batch may run: the spec's ceiling for a single candidate
 * (`compute.candidateTimeoutMinutes` ≤ 720), so no batch is ever allowed longer than the
 * longest single candidate may take.
 */
export const batchTimeLimitMinutes = 720;

export interface TrainingBatchPlan {
  /** `grid`: one application featurizes once and fits every candidate; `candidate`: one application each. */
  mode: 'grid' | 'candidate';
  featurizer: string;
  candidates: Candidate[];
  /** Candidates fitted at once inside a grid application; the scheduler's slots it takes (1 for a candidate batch). */
  parallelism: number;
  /** How long the batch may run before it is killed and its unfinished candidates fail. */
  timeoutMinutes: number;
}

export interface BatchLimits {
  maxConcurrent: number;
  candidateTimeoutMinutes: number;
  /** `batchTimeLimitMinutes` in a run; a test may lower it. */
  batchTimeLimitMinutes: number;
}

/**
 * The rule: a featurizer's candidates train in ONE Spark application (a grid batch) when there
 * are at least two of them and, fitted `maxConcurrent` at a time, their worst case fits in one
 * batch's time limit: ceil(n / maxConcurrent) × candidateTimeoutMinutes ≤ batchTimeLimitMinutes (720). Otherwise each
 * candidate is its own batch, so a grid too long for one batch is spread over batches the cluster
 * runs `maxConcurrent` at a time.
 */
export function planTrainingBatches(candidates: Candidate[], limits: BatchLimits): TrainingBatchPlan[] {
  const byFeaturizer = new Map<string, Candidate[]>();
  for (const candidate of candidates)
    byFeaturizer.set(candidate.featurizer, [...(byFeaturizer.get(candidate.featurizer) ?? []), candidate]);
  return [...byFeaturizer].flatMap(([featurizer, group]): TrainingBatchPlan[] => {
    const parallelism = Math.min(limits.maxConcurrent, group.length);
    const timeoutMinutes = Math.ceil(group.length / parallelism) * limits.candidateTimeoutMinutes;
    if (group.length >= 2 && timeoutMinutes <= limits.batchTimeLimitMinutes)
      return [{ mode: 'grid', featurizer, candidates: group, parallelism, timeoutMinutes }];
    return group.map((candidate) => ({
      mode: 'candidate',
      featurizer,
      candidates: [candidate],
      parallelism: 1,
      timeoutMinutes: limits.candidateTimeoutMinutes,
    }));
  });
}

/** The batch name of a featurizer's grid: one per run and featurizer, so a replayed submission finds the first. */
export function gridBatchName(featurizer: string): string {
  return `grid-${featurizer.toLowerCase().replace(/[^a-z0-9]/g, '')}`;
}
