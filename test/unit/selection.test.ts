import { decidePromotion, metricValue, rankCandidates } from '../../shared/domain/selection';

const scored = (candidateId: string, accuracy: number, trainSeconds: number, rocAuc: Record<string, number> = {}) => ({
  candidateId,
  trainSeconds,
  metrics: { accuracy, classAverageAccuracy: accuracy - 0.01, rocAuc },
});

describe('model selection', () => {
  it('ranks by the metric, then by training time, then by id', () => {
    const ranked = rankCandidates('accuracy', [
      scored('c', 0.9, 30),
      scored('b', 0.9, 20),
      scored('a', 0.9, 20),
      scored('d', 0.95, 100),
      scored('e', Number.NaN, 1),
    ]);
    expect(ranked.map((c) => c.candidateId)).toEqual(['d', 'a', 'b', 'c']);
  });

  it('averages one-vs-rest AUCs for macroRocAuc', () => {
    expect(metricValue('macroRocAuc', scored('x', 0, 0, { a: 0.9, b: 0.7 }).metrics)).toBeCloseTo(0.8);
    expect(metricValue('macroRocAuc', scored('x', 0, 0).metrics)).toBeNaN();
  });

  it('promotes a challenger only when it beats production by the margin', () => {
    expect(decidePromotion('accuracy', 0.01, { version: 'v2', value: 0.9 }, undefined)).toMatchObject({ promote: true });
    expect(decidePromotion('accuracy', 0.01, { version: 'v2', value: 0.915 }, { version: 'v1', value: 0.9 })).toMatchObject({
      promote: true,
    });
    const kept = decidePromotion('accuracy', 0.01, { version: 'v2', value: 0.905 }, { version: 'v1', value: 0.9 });
    expect(kept.promote).toBe(false);
    expect(kept.reason).toContain('not better than production v1');
    expect(decidePromotion('accuracy', 0, { version: 'v2', value: 0.9 }, { version: 'v1', value: 0.9 }).promote).toBe(false);
  });
});
