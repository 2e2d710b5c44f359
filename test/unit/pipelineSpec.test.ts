import { candidateCount, candidateGrid } from '../../shared/domain/candidateGrid';
import { maxCandidates, PipelineSpec, validatePipelineSpec } from '../../shared/domain/pipelineSpec';
import { requireValidSpec } from '../../shared/usecases/startRun';

const count = candidateCount;
const minimal = {
  name: 'fashion-demo',
  scenario: 'image-classification',
  data: { source: { container: 'landing', prefix: 'fashion/' } },
  candidates: { classifiers: [{ type: 'logistic_regression', grid: { regParam: [0.01, 0.1] } }, { type: 'random_forest' }] },
};

describe('pipeline spec', () => {
  it('fills defaults for everything optional', () => {
    const result = validatePipelineSpec(minimal, count);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.spec).toMatchObject({
      sampleFraction: 1,
      seed: 42,
      data: { working: { container: 'canopy-work', prefix: '' }, artifacts: { container: 'canopy-artifacts', prefix: '' } },
      compute: { target: 'local-spark', workerNodes: 2, maxLifetimeMinutes: 180 },
      candidates: { featurizers: ['squeezenet1.1'], maxConcurrent: 2 },
      selection: { metric: 'accuracy', minImprovement: 0 },
      deployment: { target: 'local' },
      teardown: { policy: 'always' },
    });
    expect(minimal).not.toHaveProperty('seed');
  });

  it('lists every problem of a bad spec at once', () => {
    const result = validatePipelineSpec(
      {
        name: 'Bad Name!',
        scenario: 'video',
        data: { source: { prefix: 'no-slash' } },
        sampleFraction: 0,
        candidates: { classifiers: [{ type: 'xgboost', grid: { depth: [] } }] },
        extra: true,
      },
      count,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual(
      expect.arrayContaining([
        'name must match pattern "^[a-z][a-z0-9-]{1,38}[a-z0-9]$"',
        'extra is not a known field',
        'scenario must be one of "image-classification", "tabular-classification"',
        'data.source.container is required',
        'data.source.prefix must match pattern "^(?:[^/].*/)?$"',
        'sampleFraction must be > 0',
        'candidates.classifiers.0.type must be one of "logistic_regression", "random_forest", "linear_svm", "multilayer_perceptron", "gradient_boosted_trees"',
        'candidates.classifiers.0.grid.depth must NOT have fewer than 1 items',
      ]),
    );
  });

  it('checks the schedule, the grid size and target combinations', () => {
    const grid = { regParam: [1, 2, 3, 4, 5, 6, 7], maxIter: [1, 2, 3, 4, 5, 6, 7, 8] };
    const result = validatePipelineSpec(
      {
        ...minimal,
        scenario: 'tabular-classification',
        schedule: 'every sunday',
        candidates: { classifiers: [{ type: 'linear_svm', grid }] },
        deployment: { target: 'aci' },
      },
      count,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      expect.stringMatching(/^schedule: Timer schedule "every sunday"/),
      'candidates.classifiers: linear_svm is offered for image-classification only',
      `candidates: the grid has 56 candidates; at most ${maxCandidates} are allowed`,
      'deployment.target: a local-spark pipeline deploys locally',
    ]);
  });

  it('rejects values that are not objects', () => {
    expect(validatePipelineSpec('spec', count)).toEqual({ ok: false, problems: ['spec must be object'] });
    expect(validatePipelineSpec(null, count).ok).toBe(false);
  });
});

describe('candidate grid', () => {
  it('crosses featurizers, classifiers and hyper-parameters with stable ids', () => {
    const result = validatePipelineSpec(
      {
        ...minimal,
        candidates: {
          featurizers: ['squeezenet1.1', 'resnet18'],
          classifiers: [{ type: 'logistic_regression', grid: { regParam: [0.01, 0.1], maxIter: [50] } }, { type: 'linear_svm' }],
        },
      },
      count,
    );
    if (!result.ok) throw new Error(result.problems.join());
    const grid = candidateGrid(result.spec);
    expect(grid).toHaveLength(6);
    expect(grid.map((c) => [c.featurizer, c.classifier, c.params])).toEqual([
      ['squeezenet1.1', 'logistic_regression', { maxIter: 50, regParam: 0.01 }],
      ['squeezenet1.1', 'logistic_regression', { maxIter: 50, regParam: 0.1 }],
      ['squeezenet1.1', 'linear_svm', {}],
      ['resnet18', 'logistic_regression', { maxIter: 50, regParam: 0.01 }],
      ['resnet18', 'logistic_regression', { maxIter: 50, regParam: 0.1 }],
      ['resnet18', 'linear_svm', {}],
    ]);
    expect(new Set(grid.map((c) => c.id)).size).toBe(6);
    expect(grid[0].id).toMatch(/^lr-squeezenet11-[0-9a-f]{8}$/);
    expect(candidateGrid(result.spec).map((c) => c.id)).toEqual(grid.map((c) => c.id));
  });

  it('offers the multilayer perceptron and gradient-boosted trees, for images and tables', () => {
    const classifiers = [
      { type: 'multilayer_perceptron', grid: { hiddenUnits: [64, 128], maxIter: [100] } },
      { type: 'gradient_boosted_trees', grid: { maxIter: [20], maxDepth: [5] } },
    ];
    for (const scenario of ['image-classification', 'tabular-classification']) {
      const result = validatePipelineSpec({ ...minimal, scenario, candidates: { classifiers } }, count);
      if (!result.ok) throw new Error(result.problems.join());
      const grid = candidateGrid(result.spec);
      expect(grid.map((c) => [c.classifier, c.params])).toEqual([
        ['multilayer_perceptron', { hiddenUnits: 64, maxIter: 100 }],
        ['multilayer_perceptron', { hiddenUnits: 128, maxIter: 100 }],
        ['gradient_boosted_trees', { maxDepth: 5, maxIter: 20 }],
      ]);
      expect(grid[0].id).toMatch(/^mlp-/);
      expect(grid[2].id).toMatch(/^gbt-/);
    }
  });

  it('counts a grid of 10^8 combinations by its factors and refuses it in milliseconds, memory flat', () => {
    const eightFactorsOfTen = Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((k) => [k, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]));
    const hostile = { ...minimal, candidates: { classifiers: [{ type: 'logistic_regression', grid: eightFactorsOfTen }] } };
    expect(JSON.stringify(hostile).length).toBeLessThan(1000);
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    let refusal: unknown;
    try {
      requireValidSpec(hostile);
    } catch (err) {
      refusal = err;
    }
    const elapsedMs = performance.now() - started;
    expect(refusal).toMatchObject({ code: 'SPEC.INVALID', transient: false });
    expect((refusal as { details: { problems: string[] } }).details.problems).toContain(
      `candidates: the grid has 100000000 candidates; at most ${maxCandidates} are allowed`,
    );
    expect(elapsedMs).toBeLessThan(200);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(20 * 1024 * 1024);
  });

  it('never expands a grid past the limit, even when handed an unchecked spec', () => {
    const tenValues = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const unchecked = {
      ...minimal,
      candidates: { featurizers: ['squeezenet1.1'], classifiers: [{ type: 'logistic_regression', grid: { a: tenValues, b: tenValues } }] },
    } as unknown as PipelineSpec;
    expect(candidateCount(unchecked)).toBe(100);
    expect(() => candidateGrid(unchecked)).toThrow(expect.objectContaining({ code: 'SPEC.INVALID' }));
  });
});
