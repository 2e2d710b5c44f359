import { createHash } from 'node:crypto';
import { ClassifierType, PipelineSpec } from './pipelineSpec';

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

const abbreviations: Record<ClassifierType, string> = { logistic_regression: 'lr', random_forest: 'rf', linear_svm: 'svm' };

/** Featurizers × classifiers × each classifier's hyper-parameter grid, in a deterministic order. */
export function candidateGrid(spec: PipelineSpec): Candidate[] {
  const featurizers = spec.scenario === 'image-classification' ? spec.candidates.featurizers : ['tabular'];
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
