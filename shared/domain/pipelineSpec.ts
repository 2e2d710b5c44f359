import Ajv, { ErrorObject } from 'ajv';
import { azureSpecProblems } from './azureRules';
import { parseSchedule } from './schedule';

export type Scenario = 'image-classification' | 'tabular-classification';
export type ClassifierType = 'logistic_regression' | 'random_forest' | 'linear_svm' | 'multilayer_perceptron' | 'gradient_boosted_trees';
export type SelectionMetric = 'accuracy' | 'classAverageAccuracy' | 'macroRocAuc';
export type ComputeTargetKind = 'local-spark' | 'hdinsight';
export type DeploymentTargetKind = 'local' | 'aci' | 'aks';
export type TeardownPolicy = 'always' | 'keep-on-failure';

export interface BlobLocation {
  container: string;
  prefix: string;
}

export interface ClassifierGrid {
  type: ClassifierType;
  /** Each hyper-parameter with the values to try; the grid is their cross product. */
  grid: Record<string, (number | string | boolean)[]>;
}

export interface PipelineSpec {
  name: string;
  description?: string;
  scenario: Scenario;
  data: {
    source: BlobLocation & { connection?: string };
    working: BlobLocation;
    artifacts: BlobLocation;
  };
  sampleFraction: number;
  seed: number;
  compute: {
    target: ComputeTargetKind;
    workerNodes: number;
    workerVmSize: string;
    headVmSize: string;
    /** Attach an existing cluster instead of creating one; Canopy then never deletes it. */
    existingCluster?: string;
    maxLifetimeMinutes: number;
    provisionTimeoutMinutes: number;
    candidateTimeoutMinutes: number;
  };
  candidates: {
    featurizers: string[];
    classifiers: ClassifierGrid[];
    maxConcurrent: number;
  };
  selection: {
    metric: SelectionMetric;
    /** How much better than production (in the metric's units) a challenger must be to be promoted. */
    minImprovement: number;
  };
  deployment: {
    target: DeploymentTargetKind;
    cpu: number;
    memoryGb: number;
    healthTimeoutMinutes: number;
    /** Share of traffic a newly promoted model gets while the production version keeps the rest (100: all of it). */
    canaryPercent: number;
  };
  /** NCRONTAB for scheduled retraining; absent means only uploads and HTTP calls start runs. */
  schedule?: string;
  teardown: { policy: TeardownPolicy };
}

const location = (defaults: { container?: string; prefix?: string }) => ({
  type: 'object',
  additionalProperties: false,
  required: defaults.container ? [] : ['container'],
  properties: {
    container: { type: 'string', pattern: '^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$', default: defaults.container },
    prefix: { type: 'string', maxLength: 512, pattern: '^(?:[^/].*/)?$', default: defaults.prefix ?? '' },
  },
});

/** JSON Schema of a pipeline spec; also published in the OpenAPI document. */
export const pipelineSpecSchema = {
  $id: 'https://canopy.dev/schemas/pipeline-spec.json',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'scenario', 'data', 'candidates'],
  properties: {
    name: {
      type: 'string',
      pattern: '^[a-z][a-z0-9-]{1,38}[a-z0-9]$',
      description: 'lower-case letters, digits and dashes; 3–40 characters',
    },
    description: { type: 'string', maxLength: 1000 },
    scenario: { enum: ['image-classification', 'tabular-classification'] },
    data: {
      type: 'object',
      additionalProperties: false,
      required: ['source'],
      default: {},
      properties: {
        source: {
          ...location({}),
          properties: { ...location({}).properties, connection: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' } },
        },
        working: { ...location({ container: 'canopy-work' }), default: {} },
        artifacts: { ...location({ container: 'canopy-artifacts' }), default: {} },
      },
    },
    sampleFraction: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 1 },
    seed: { type: 'integer', minimum: 0, default: 42 },
    compute: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        target: { enum: ['local-spark', 'hdinsight'], default: 'local-spark' },
        workerNodes: { type: 'integer', minimum: 1, maximum: 64, default: 2 },
        workerVmSize: { type: 'string', pattern: '^Standard_[A-Za-z0-9_]+$', default: 'Standard_D4_v2' },
        headVmSize: { type: 'string', pattern: '^Standard_[A-Za-z0-9_]+$', default: 'Standard_D12_v2' },
        existingCluster: { type: 'string', pattern: '^[a-z][a-z0-9-]{2,58}$' },
        maxLifetimeMinutes: { type: 'integer', minimum: 10, maximum: 1440, default: 180 },
        provisionTimeoutMinutes: { type: 'integer', minimum: 1, maximum: 120, default: 45 },
        candidateTimeoutMinutes: { type: 'integer', minimum: 1, maximum: 720, default: 60 },
      },
    },
    candidates: {
      type: 'object',
      additionalProperties: false,
      required: ['classifiers'],
      properties: {
        featurizers: {
          type: 'array',
          items: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]*$' },
          minItems: 1,
          uniqueItems: true,
          default: ['squeezenet1.1'],
        },
        classifiers: {
          type: 'array',
          minItems: 1,
          maxItems: 10,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['type'],
            properties: {
              type: { enum: ['logistic_regression', 'random_forest', 'linear_svm', 'multilayer_perceptron', 'gradient_boosted_trees'] },
              grid: {
                type: 'object',
                default: {},
                propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9]*$' },
                additionalProperties: { type: 'array', minItems: 1, maxItems: 10, items: { type: ['number', 'string', 'boolean'] } },
              },
            },
          },
        },
        maxConcurrent: { type: 'integer', minimum: 1, maximum: 32, default: 2 },
      },
    },
    selection: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        metric: { enum: ['accuracy', 'classAverageAccuracy', 'macroRocAuc'], default: 'accuracy' },
        minImprovement: { type: 'number', minimum: 0, maximum: 1, default: 0 },
      },
    },
    deployment: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        target: { enum: ['local', 'aci', 'aks'], default: 'local' },
        cpu: { type: 'number', minimum: 0.25, maximum: 16, default: 1 },
        memoryGb: { type: 'number', minimum: 0.5, maximum: 64, default: 1.5 },
        healthTimeoutMinutes: { type: 'integer', minimum: 1, maximum: 60, default: 10 },
        canaryPercent: { type: 'integer', minimum: 1, maximum: 100, default: 100 },
      },
    },
    schedule: { type: 'string', minLength: 9 },
    teardown: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { policy: { enum: ['always', 'keep-on-failure'], default: 'always' } },
    },
  },
} as const;

/** Largest grid a spec may ask for: every candidate is a cluster job. */
export const maxCandidates = 48;

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const validateSchema = ajv.compile(pipelineSpecSchema);

function describe(error: ErrorObject): string {
  const where = error.instancePath === '' ? 'spec' : error.instancePath.slice(1).replace(/\//g, '.');
  switch (error.keyword) {
    case 'required':
      return `${where === 'spec' ? '' : where + '.'}${String(error.params.missingProperty)} is required`;
    case 'additionalProperties':
      return `${where === 'spec' ? '' : where + '.'}${String(error.params.additionalProperty)} is not a known field`;
    case 'enum':
      return `${where} must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${where} ${error.message ?? 'is invalid'}`;
  }
}

export type SpecValidation = { ok: true; spec: PipelineSpec } | { ok: false; problems: string[] };

/** Validates a spec (a parsed JSON value), fills defaults, and lists every problem found. */
export function validatePipelineSpec(input: unknown, countCandidates: (spec: PipelineSpec) => number): SpecValidation {
  const candidate = structuredClone(input);
  if (!validateSchema(candidate)) {
    const problems = [...new Set((validateSchema.errors ?? []).map(describe))];
    return { ok: false, problems };
  }
  const spec = candidate as unknown as PipelineSpec;
  const problems: string[] = [];
  if (spec.schedule !== undefined) {
    try {
      parseSchedule(spec.schedule);
    } catch (err) {
      problems.push(`schedule: ${(err as Error).message}`);
    }
  }
  if (spec.scenario === 'tabular-classification' && spec.candidates.classifiers.some((c) => c.type === 'linear_svm')) {
    problems.push('candidates.classifiers: linear_svm is offered for image-classification only');
  }
  const count = countCandidates(spec);
  if (count > maxCandidates) problems.push(`candidates: the grid has ${count} candidates; at most ${maxCandidates} are allowed`);
  if (spec.compute.target === 'local-spark' && spec.deployment.target !== 'local') {
    problems.push('deployment.target: a local-spark pipeline deploys locally');
  }
  if (spec.compute.existingCluster && spec.compute.target !== 'hdinsight') {
    problems.push('compute.existingCluster: only an hdinsight target attaches an existing cluster');
  }
  problems.push(...azureSpecProblems(spec));
  return problems.length > 0 ? { ok: false, problems } : { ok: true, spec };
}
