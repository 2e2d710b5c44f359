import { app } from '@azure/functions';
import { pipelineSpecSchema } from '../shared/domain/pipelineSpec';
import packageJson from '../package.json';
import { dashboardPaths, dashboardSecuritySchemes } from './lib/dashboardOpenApi';

const error = { $ref: '#/components/schemas/Error' };
const errors = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((code) => [
      String(code),
      {
        description:
          {
            400: 'bad input',
            401: 'missing or wrong function key',
            404: 'not found',
            409: 'conflict',
            413: 'body too large',
            415: 'unsupported content type',
            503: 'no healthy deployment answered',
          }[code] ?? 'error',
        content: { 'application/json': { schema: error } },
      },
    ]),
  );
const json = (schema: object, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const object = { type: 'object' };
const name = { name: 'name', in: 'path', required: true, schema: { type: 'string' } };
const instanceId = { name: 'instanceId', in: 'path', required: true, schema: { type: 'string' } };
const version = { name: 'version', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } };
const batchId = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const keyed = [{ functionKey: [] }];

/** The OpenAPI 3.0 description of Canopy's HTTP API, served at GET /api/openapi.json. */
const openApiDocument = {
  openapi: '3.0.3',
  info: { title: 'Canopy', version: packageJson.version, description: packageJson.description },
  servers: [{ url: '/api' }],
  components: {
    securitySchemes: {
      functionKey: {
        type: 'apiKey',
        in: 'header',
        name: 'x-functions-key',
        description: 'a function key; the `code` query parameter works too',
      },
      ...dashboardSecuritySchemes,
    },
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
          },
        },
      },
      PipelineSpec: pipelineSpecSchema,
    },
  },
  paths: {
    '/health': {
      get: {
        summary: 'version and whether storage and Cosmos DB answer',
        security: [],
        responses: { 200: json(object), 503: json(object, 'a dependency is down') },
      },
    },
    '/openapi.json': { get: { summary: 'this document', security: [], responses: { 200: json(object) } } },
    '/pipelines': {
      post: {
        summary: 'register a pipeline spec (a changed spec becomes a new version)',
        security: keyed,
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/PipelineSpec' } } } },
        responses: { 201: json(object, 'the stored spec and its version'), ...errors(400, 401, 413) },
      },
      get: { summary: 'the latest version of every spec', security: keyed, responses: { 200: json(object), ...errors(401) } },
    },
    '/pipelines/{name}': {
      get: {
        summary: 'a spec (latest, or ?version=)',
        security: keyed,
        parameters: [name],
        responses: { 200: json(object), ...errors(401, 404) },
      },
    },
    '/pipelines/{name}/runs': {
      post: {
        summary: 'run the stored spec; optional body { dataVersion }',
        security: keyed,
        parameters: [name],
        responses: { 202: json(object, 'started; Location is the status URL'), ...errors(400, 401, 404, 409, 413) },
      },
      get: {
        summary: 'runs of the pipeline, newest first (?top=, ?continuation=)',
        security: keyed,
        parameters: [name],
        responses: { 200: json(object), ...errors(401, 404) },
      },
    },
    '/runs': {
      post: {
        summary: 'save an inline spec and run it: { spec, dataVersion? }',
        security: keyed,
        responses: { 202: json(object), ...errors(400, 401, 409, 413) },
      },
    },
    '/pipelines/{name}/runs/{instanceId}': {
      get: {
        summary: 'a run: its record, candidates and live status (stage, candidates, elapsed, cost)',
        security: keyed,
        parameters: [name, instanceId],
        responses: { 200: json(object), ...errors(401, 404) },
      },
    },
    '/pipelines/{name}/runs/{instanceId}/cancel': {
      post: {
        summary: 'cancel a running run; its compute is torn down',
        security: keyed,
        parameters: [name, instanceId],
        responses: { 202: json(object), ...errors(401, 404, 409) },
      },
    },
    '/pipelines/{name}/leaderboard': {
      get: {
        summary: 'every successful candidate of every run, best first (?metric=, ?top=)',
        security: keyed,
        parameters: [name],
        responses: { 200: json(object), ...errors(400, 401, 404) },
      },
    },
    '/models': {
      get: {
        summary: 'registered models and their production versions',
        security: keyed,
        responses: { 200: json(object), ...errors(401) },
      },
    },
    '/models/{name}': {
      get: {
        summary: 'versions of a model with lineage, metrics and stage',
        security: keyed,
        parameters: [name],
        responses: { 200: json(object), ...errors(401, 404) },
      },
    },
    '/models/{name}/versions/{version}': {
      get: {
        summary: 'one model version',
        security: keyed,
        parameters: [name, version],
        responses: { 200: json(object), ...errors(401, 404) },
      },
    },
    '/models/{name}/versions/{version}/promote': {
      post: {
        summary: 'make a deployed version production and send it all traffic',
        security: keyed,
        parameters: [name, version],
        responses: { 200: json(object), ...errors(401, 404, 409) },
      },
    },
    '/models/{name}/rollback': {
      post: {
        summary: 'give production back to the previous deployed version',
        security: keyed,
        parameters: [name],
        responses: { 200: json(object), ...errors(401, 404, 409) },
      },
    },
    '/models/{name}/deployments': {
      get: {
        summary: 'deployments of a model with state, endpoint, traffic share and the last hour of scoring metrics',
        security: keyed,
        parameters: [name],
        responses: { 200: json(object), ...errors(401, 404) },
      },
    },
    '/models/{name}/score': {
      post: {
        summary:
          'score with the model: forwarded to one of its healthy deployments, chosen by the traffic split; a timeout, connection error or 5xx is retried once on another deployment',
        security: keyed,
        parameters: [name],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: { type: 'object', description: '{"data": [[pixels]]}, {"images": [base64]} or {"rows": [{…}]}' },
            },
            'multipart/form-data': { schema: object },
          },
        },
        responses: {
          200: {
            description: "the deployment's answer (4xx answers pass through too)",
            headers: {
              'x-canopy-deployment': { schema: { type: 'string' }, description: 'the deployment that answered' },
              'x-canopy-model-version': { schema: { type: 'integer' }, description: 'its model version' },
              'x-canopy-attempts': { schema: { type: 'integer' }, description: '1, or 2 after a retry' },
            },
            content: { 'application/json': { schema: object } },
          },
          ...errors(400, 401, 404, 413, 415, 503),
        },
      },
    },
    '/models/{name}/traffic': {
      put: {
        summary: 'set the traffic split between healthy deployments (integers adding up to 100; deployments left out get 0); next request',
        security: keyed,
        parameters: [name],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['deployments'],
                properties: { deployments: { type: 'object', additionalProperties: { type: 'integer', minimum: 0, maximum: 100 } } },
              },
            },
          },
        },
        responses: { 200: json(object), ...errors(400, 401, 404) },
      },
    },
    '/models/{name}/metrics': {
      get: {
        summary: 'per-deployment scoring metrics: requests, errors, error rate, mean/p50/p99 latency',
        security: keyed,
        parameters: [name, { name: 'minutes', in: 'query', schema: { type: 'integer', minimum: 1, default: 60 } }],
        responses: { 200: json(object), ...errors(400, 401, 404) },
      },
    },
    '/models/{name}/batch-scoring': {
      post: {
        summary:
          'score every image under a container and prefix with a version (default production): { source: { container, prefix }, via?: "scorer" | "spark", version?, output?, pageSize?, concurrency? }',
        security: keyed,
        parameters: [name],
        responses: { 202: json(object, 'started; Location is the status URL'), ...errors(400, 401, 404, 409, 413) },
      },
    },
    '/batch-scoring/{id}': {
      get: {
        summary: 'a batch scoring run: status, pages done/total, output location, and the summary once done',
        security: keyed,
        parameters: [batchId],
        responses: { 200: json(object), ...errors(401, 404) },
      },
    },
    '/batch-scoring/{id}/cancel': {
      post: {
        summary: 'cancel a running batch scoring run (pages written so far stay)',
        security: keyed,
        parameters: [batchId],
        responses: { 202: json(object), ...errors(401, 404, 409) },
      },
    },
    '/maintenance/reap': {
      post: { summary: 'run the resource reaper now (admin key)', security: keyed, responses: { 200: json(object), ...errors(401) } },
    },
    ...dashboardPaths,
  },
};

app.http('openApi', {
  route: 'openapi.json',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async () => ({ jsonBody: openApiDocument }),
});
