import { Candidate } from '../../shared/domain/candidateGrid';
import { batchTimeLimitMinutes, gridBatchName, planTrainingBatches } from '../../shared/domain/trainingBatches';

const candidate = (featurizer: string, n: number): Candidate => ({
  id: `lr-${featurizer}-${n}`,
  featurizer,
  classifier: 'logistic_regression',
  params: { regParam: n },
});
const limits = { maxConcurrent: 2, candidateTimeoutMinutes: 60, batchTimeLimitMinutes };

describe('planTrainingBatches', () => {
  it("trains each featurizer's grid in one application, maxConcurrent candidates at a time", () => {
    const grid = [candidate('sq', 1), candidate('rn', 1), candidate('sq', 2), candidate('sq', 3), candidate('rn', 2)];

    expect(planTrainingBatches(grid, limits)).toEqual([
      { mode: 'grid', featurizer: 'sq', candidates: [grid[0], grid[2], grid[3]], parallelism: 2, timeoutMinutes: 120 },
      { mode: 'grid', featurizer: 'rn', candidates: [grid[1], grid[4]], parallelism: 2, timeoutMinutes: 60 },
    ]);
  });

  it('keeps one batch per candidate when a grid would outlast the batch time limit', () => {
    const grid = [candidate('sq', 1), candidate('sq', 2), candidate('sq', 3)];

    const plans = planTrainingBatches(grid, { maxConcurrent: 1, candidateTimeoutMinutes: 241, batchTimeLimitMinutes });

    expect(plans).toEqual(grid.map((c) => ({ mode: 'candidate', featurizer: 'sq', candidates: [c], parallelism: 1, timeoutMinutes: 241 })));
  });

  it('allows a grid exactly at the limit and runs a lone candidate as its own batch', () => {
    const atLimit = planTrainingBatches([candidate('sq', 1), candidate('sq', 2)], {
      maxConcurrent: 1,
      candidateTimeoutMinutes: 360,
      batchTimeLimitMinutes,
    });
    const lone = planTrainingBatches([candidate('rn', 1)], limits);

    expect(atLimit.map((p) => [p.mode, p.timeoutMinutes])).toEqual([['grid', 720]]);
    expect(lone).toEqual([{ mode: 'candidate', featurizer: 'rn', candidates: [candidate('rn', 1)], parallelism: 1, timeoutMinutes: 60 }]);
  });

  it('plans nothing for an empty grid', () => {
    expect(planTrainingBatches([], limits)).toEqual([]);
  });

  it('names a grid batch after its featurizer, as a safe batch name', () => {
    expect(gridBatchName('squeezenet1.1')).toBe('grid-squeezenet11');
    expect(gridBatchName('ResNet-50')).toBe('grid-resnet50');
  });
});
