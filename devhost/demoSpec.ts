/** The demo pipeline: Fashion-MNIST through SqueezeNet, three classifiers, deployed locally. */
export const demoPipeline = 'fashion-demo';

export const demoSpec = {
  name: demoPipeline,
  description:
    'Fashion-MNIST (a per-class sample) through the SqueezeNet 1.1 featurizer: logistic regression, random forest and a linear SVM.',
  scenario: 'image-classification',
  data: { source: { container: 'canopy-landing', prefix: `${demoPipeline}/` } },
  sampleFraction: 1,
  seed: 42,
  compute: { target: 'local-spark', maxLifetimeMinutes: 60, candidateTimeoutMinutes: 30 },
  candidates: {
    featurizers: ['squeezenet1.1'],
    classifiers: [
      { type: 'logistic_regression', grid: { regParam: [0.01], maxIter: [200] } },
      { type: 'random_forest', grid: { numTrees: [60], maxDepth: [10] } },
      { type: 'linear_svm', grid: { regParam: [0.01], maxIter: [100] } },
    ],
    maxConcurrent: 2,
  },
  selection: { metric: 'accuracy', minImprovement: 0 },
  deployment: { target: 'local' },
  teardown: { policy: 'always' },
};
