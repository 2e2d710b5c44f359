import { createHash } from 'node:crypto';
import { permanent } from '../errors';
import { ClassifierType, maxCandidates, PipelineSpec } from './pipelineSpec';

export interface Candidate {
  /** Stable across runs of the same spec: `<classifier>-<featurizer>-<hash of params>`. */
  id: string;
  featurizer: string;
  classifier: ClassifierType;
  params: Record<string, number | string | boolean>;
}

function crossProduct(grid: Record<string, (number | string | boolean)[]>): Record<string, number | string | boolean>[] {
  return Object.keys(grid)
    .sort()
    .reduce<Record<string, number | string | boolean>[]>(
      (combos, key) => combos.flatMap((combo) => grid[key].map((value) => ({ ...combo, [key]: value }))),
      [{}],
    );
}

function shortHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 8);
}

const abbreviations: Record<ClassifierType, string> = {
  logistic_regression: 'lr',
  random_forest: 'rf',
  linear_svm: 'svm',
  multilayer_perceptron: 'mlp',
  gradient_boosted_trees: 'gbt',
};

function featurizersOf(spec: PipelineSpec): string[] {
  return spec.scenario === 'image-classification' ? spec.candidates.featurizers : ['tabular'];
}

/**
 * How many candidates the grid holds, by multiplying the factors: a small spec can describe a grid far too large to
 * expand (10^8 combinations from 540 bytes), so its size is known before anything is allocated.
 */
export function candidateCount(spec: PipelineSpec): number {
  const perFeaturizer = spec.candidates.classifiers.reduce(
    (sum, c) => sum + Object.values(c.grid).reduce((product, values) => product * values.length, 1),
    0,
  );
  return featurizersOf(spec).length * perFeaturizer;
}

/** Featurizers × classifiers × each classifier's hyper-parameter grid, in a deterministic order. */
export function candidateGrid(spec: PipelineSpec): Candidate[] {
  const count = candidateCount(spec);
  if (count > maxCandidates) throw permanent('SPEC.INVALID', `the grid has ${count} candidates; at most ${maxCandidates} are allowed`);
  const featurizers = featurizersOf(spec);
  return featurizers.flatMap((featurizer) =>
    spec.candidates.classifiers.flatMap((c) =>
      crossProduct(c.grid).map((params) => ({
        id: `${abbreviations[c.type]}-${featurizer.replace(/[^a-z0-9]/g, '')}-${shortHash(params)}`,
        featurizer,
        classifier: c.type,
        params,
      })),
    ),
  );
}
