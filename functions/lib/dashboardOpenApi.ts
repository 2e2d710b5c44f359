/** The dashboard's routes in the OpenAPI document: anonymous to the Functions host, gated by sign-in (or loopback). */

const errorRef = { $ref: '#/components/schemas/Error' };
const descriptions: Record<number, string> = {
  400: 'bad input',
  401: 'not signed in (Azure): no valid App Service Authentication principal',
  403: 'not loopback (local stack), or a state-changing request without the CSRF token or from another origin',
  404: 'not found',
  409: 'conflict',
  413: 'body too large',
  415: 'unsupported content type',
  503: 'no healthy deployment answered',
};
const errors = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((code) => [String(code), { description: descriptions[code], content: { 'application/json': { schema: errorRef } } }]),
  );
const ok = (description = 'OK') => ({ description, content: { 'application/json': { schema: { type: 'object' } } } });

const path = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const query = (name: string, schema: object, description?: string) => ({
  name,
  in: 'query',
  schema,
  ...(description ? { description } : {}),
});
const top = (fallback: number, max: number) => query('top', { type: 'integer', minimum: 1, maximum: max, default: fallback });
const continuation = query('continuation', { type: 'string' }, 'the continuation of the previous page');
const csrf = {
  name: 'x-canopy-csrf',
  in: 'header',
  required: true,
  schema: { type: 'string' },
  description: 'the token GET /ui/session gave',
};

export const dashboardSecurity = [{ appServiceAuthentication: [] }];

export const dashboardSecuritySchemes = {
  appServiceAuthentication: {
    type: 'apiKey',
    in: 'header',
    name: 'x-ms-client-principal',
    description:
      'injected by App Service Authentication (Entra ID sign-in) in Azure, with x-ms-client-principal-id and -name; on the local stack, loopback callers need none',
  },
};

const read = (summary: string, parameters: object[] = [], codes: number[] = []) => ({
  get: { summary, security: dashboardSecurity, parameters, responses: { 200: ok(), ...errors(401, 403, ...codes) } },
});
const action = (method: 'post' | 'put', summary: string, parameters: object[], codes: number[], status = 200) => ({
  [method]: {
    summary,
    security: dashboardSecurity,
    parameters: [...parameters, csrf],
    responses: { [status]: ok(), ...errors(401, 403, ...codes) },
  },
});

/** Paths under the document's `/api` server; docs/dashboard-api.md gives their JSON shapes. */
export const dashboardPaths = {
  '/ui/session': read('the signed-in user and the CSRF token (also set as the canopy-csrf cookie)'),
  '/ui/pipelines': read('every pipeline with its last run, schedule and production model'),
  '/ui/pipelines/{name}/runs': read(
    'a page of the pipeline runs with duration, cost, node-minutes and best metric',
    [
      path('name'),
      top(25, 100),
      continuation,
      query('status', { enum: ['running', 'succeeded', 'failed', 'cancelled'] }),
      query('trigger', { enum: ['http', 'blob', 'schedule'] }),
      query('sort', { enum: ['startedAt', 'costUsd', 'nodeMinutes', 'bestValue'], default: 'startedAt' }),
      query('order', { enum: ['asc', 'desc'], default: 'desc' }),
    ],
    [400, 404],
  ),
  '/ui/pipelines/{name}/runs/{instanceId}': read(
    'a run: stage timeline, candidates as bars, copy counts, decision, cost so far, failure with the end of the job log',
    [path('name'), path('instanceId')],
    [404],
  ),
  '/ui/pipelines/{name}/runs/{instanceId}/candidates/{candidateId}': read(
    'a candidate and its whole metrics.json (per-class accuracy, confusion matrix, ROC curves, precision/recall, timings)',
    [path('name'), path('instanceId'), path('candidateId')],
    [404],
  ),
  '/ui/pipelines/{name}/runs/{instanceId}/cancel': action(
    'post',
    'cancel a running run',
    [path('name'), path('instanceId')],
    [404, 409],
    202,
  ),
  '/ui/pipelines/{name}/leaderboard': read(
    'the best candidates across runs by a metric',
    [path('name'), query('metric', { enum: ['accuracy', 'classAverageAccuracy', 'macroRocAuc'] }), top(50, 500)],
    [400, 404],
  ),
  '/ui/cost': read(
    'cost and node-minutes of every run over time',
    [query('pipeline', { type: 'string' }), query('days', { type: 'integer', minimum: 1, maximum: 365, default: 30 })],
    [400, 404],
  ),
  '/ui/models': read('every model with its production version'),
  '/ui/models/{name}': read(
    'versions with lineage and stage; deployments with state, endpoint, traffic share and last hour of metrics',
    [path('name')],
    [404],
  ),
  '/ui/models/{name}/metrics/series': read(
    'requests, errors, p50 and p99 latency per deployment per minute',
    [path('name'), query('minutes', { type: 'integer', minimum: 1, default: 60 })],
    [400, 404],
  ),
  '/ui/models/{name}/versions/{version}/promote': action('post', 'promote a deployed version', [path('name'), path('version')], [404, 409]),
  '/ui/models/{name}/rollback': action('post', 'roll back to the previous deployed version', [path('name')], [404, 409]),
  '/ui/models/{name}/traffic': action('put', 'set the traffic split (as PUT /models/{name}/traffic)', [path('name')], [400, 404]),
  '/ui/models/{name}/score': action('post', 'try the model (as POST /models/{name}/score)', [path('name')], [400, 404, 413, 415, 503]),
  '/ui/batch-scoring': read('the newest batch-scoring runs', [query('model', { type: 'string' })], [404]),
  '/ui/batch-scoring/{id}': read('a batch-scoring run with its predicted-class distribution', [path('id')], [404]),
  '/ui/batch-scoring/{id}/gallery': read(
    'scored images, misclassified first where the folder names the label',
    [path('id'), top(48, 200), continuation],
    [400, 404],
  ),
  '/ui/batch-scoring/{id}/images/{blob}': {
    get: {
      summary: 'an image the run scored (from its source folder only)',
      security: dashboardSecurity,
      parameters: [path('id'), path('blob')],
      responses: {
        200: { description: 'the image', content: { 'image/*': { schema: { type: 'string', format: 'binary' } } } },
        ...errors(401, 403, 404),
      },
    },
  },
  '/ui/resources': read('resources alive now with owner run, age, expiry and cost so far, and the last reaper pass'),
  '/dashboard/{path}': {
    get: {
      summary: "the dashboard's files (index.html for any path without an extension)",
      security: [],
      parameters: [path('path')],
      responses: { 200: { description: 'the file' }, ...errors(404) },
    },
  },
};
