import { randomUUID } from 'node:crypto';
import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { app as composition, Composition } from '../shared/composition';
import { StoredSpec } from '../shared/ports/specStore';
import { SelectionMetric } from '../shared/domain/pipelineSpec';
import { cancelEventName } from '../shared/domain/pipelineRun';
import { permanent } from '../shared/errors';
import { leaderboard } from '../shared/usecases/leaderboard';
import { requireValidSpec, startPipelineRun } from '../shared/usecases/startRun';
import { ApiError, handled, nameParam, positiveIntParam, readJson, runIdParam } from './lib/http';
import { withoutMachinePaths } from './lib/publicView';
import { loadRun } from './lib/runRecords';
import { startRunDeps } from './lib/startRun';

const client = df.input.durableClient();

async function storedSpec(routeName: string | undefined) {
  const name = nameParam(routeName, 'PIPELINE.NOT_FOUND', 'pipeline');
  const comp = await composition();
  const stored = await comp.specs.get(name);
  if (!stored) throw new ApiError(404, 'PIPELINE.NOT_FOUND', `no pipeline named "${name}"`);
  return { comp, stored };
}

function checkDataVersion(value: unknown): void {
  if (value !== undefined && (typeof value !== 'string' || value === ''))
    throw new ApiError(400, 'REQUEST.BAD_BODY', 'dataVersion must be a non-empty string');
}

/** Runs a stored spec for an HTTP caller: 202 with the status URL, or 409 naming the run already going. */
async function startFromHttp(
  req: HttpRequest,
  context: InvocationContext,
  comp: Composition,
  stored: StoredSpec,
  dataVersion: unknown,
): Promise<HttpResponseInit> {
  checkDataVersion(dataVersion);
  const result = await startPipelineRun(
    startRunDeps(comp, context),
    stored,
    (dataVersion as string | undefined) ?? `http:${randomUUID()}`,
    'http',
  );
  if (!result.started && result.reason === 'running')
    throw permanent('RUN.ALREADY_RUNNING', `pipeline ${stored.name} is already running as ${result.runningInstanceId}`, {
      instanceId: result.runningInstanceId,
    });
  if (!result.started)
    throw permanent(
      'RUN.DATA_VERSION_ALREADY_RAN',
      `data version ${String(dataVersion)} of pipeline ${stored.name} already ran as ${result.instanceId} (${result.runtimeStatus}); pass a new dataVersion to run again`,
      { instanceId: result.instanceId, runtimeStatus: result.runtimeStatus },
    );
  const status = new URL(`/api/pipelines/${stored.name}/runs/${result.instanceId}`, req.url).toString();
  return {
    status: 202,
    headers: { location: status, 'retry-after': '10' },
    jsonBody: { pipeline: stored.name, instanceId: result.instanceId, specVersion: stored.version, statusUrl: status },
  };
}

/** POST /api/pipelines — registers a spec (a changed spec becomes a new version). */
app.http('registerPipeline', {
  route: 'pipelines',
  methods: ['POST'],
  authLevel: 'function',
  handler: handled(async (req: HttpRequest) => {
    const spec = requireValidSpec(await readJson(req));
    const comp = await composition();
    const stored = await comp.specs.save(spec, comp.clock.now());
    return { status: 201, jsonBody: stored };
  }),
});

app.http('listPipelines', {
  route: 'pipelines',
  methods: ['GET'],
  authLevel: 'function',
  handler: handled(async () => {
    const comp = await composition();
    return { jsonBody: { pipelines: await comp.specs.list() } };
  }),
});

app.http('getPipeline', {
  route: 'pipelines/{name}',
  methods: ['GET'],
  authLevel: 'function',
  handler: handled(async (req: HttpRequest) => {
    const name = nameParam(req.params.name, 'PIPELINE.NOT_FOUND', 'pipeline');
    const version = req.query.get('version') ? positiveIntParam(req.query.get('version'), 'version', 1, 1_000_000) : undefined;
    const comp = await composition();
    const stored = await comp.specs.get(name, version);
    if (!stored) throw new ApiError(404, 'PIPELINE.NOT_FOUND', `no pipeline named "${name}"${version ? ` at version ${version}` : ''}`);
    return { jsonBody: stored };
  }),
});

/** POST /api/pipelines/{name}/runs — runs the stored spec; `{ "dataVersion" }` optional. */
app.http('startPipelineRun', {
  route: 'pipelines/{name}/runs',
  methods: ['POST'],
  authLevel: 'function',
  extraInputs: [client],
  handler: handled(async (req: HttpRequest, context: InvocationContext) => {
    const body = (await readJson(req, 4096, true)) as { dataVersion?: unknown } | undefined;
    if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body)))
      throw new ApiError(400, 'REQUEST.BAD_BODY', 'the body, when given, is a JSON object');
    const { comp, stored } = await storedSpec(req.params.name);
    return startFromHttp(req, context, comp, stored, body?.dataVersion);
  }),
});

/** POST /api/runs — `{ "spec": {...}, "dataVersion"? }`: saves the inline spec and runs it. */
app.http('startInlineRun', {
  route: 'runs',
  methods: ['POST'],
  authLevel: 'function',
  extraInputs: [client],
  handler: handled(async (req: HttpRequest, context: InvocationContext) => {
    const body = (await readJson(req)) as { spec?: unknown; dataVersion?: unknown };
    if (!body || typeof body !== 'object' || Array.isArray(body) || body.spec === undefined)
      throw new ApiError(400, 'REQUEST.BAD_BODY', 'send { "spec": { ... }, "dataVersion"?: "..." }');
    // Checked before the spec is saved: a refused request leaves nothing behind.
    checkDataVersion(body.dataVersion);
    const spec = requireValidSpec(body.spec);
    const comp = await composition();
    const stored = await comp.specs.save(spec, comp.clock.now());
    return startFromHttp(req, context, comp, stored, body.dataVersion);
  }),
});

/** Longer than any token the run store issues. */
const maxContinuationChars = 4096;

app.http('listPipelineRuns', {
  route: 'pipelines/{name}/runs',
  methods: ['GET'],
  authLevel: 'function',
  handler: handled(async (req: HttpRequest) => {
    const { comp, stored } = await storedSpec(req.params.name);
    const continuation = req.query.get('continuation') ?? undefined;
    if (continuation !== undefined && (continuation === '' || continuation.length > maxContinuationChars))
      throw new ApiError(400, 'REQUEST.BAD_PARAMETER', 'continuation must be a token from an earlier page');
    const page = await comp.runs.listPipelineRuns(stored.name, {
      top: positiveIntParam(req.query.get('top'), 'top', 20, 100),
      continuation,
    });
    return { jsonBody: { runs: page.items, continuation: page.next } };
  }),
});

/** GET /api/pipelines/{name}/runs/{instanceId} — the run record, its candidates and the live orchestration status. */
app.http('getPipelineRun', {
  route: 'pipelines/{name}/runs/{instanceId}',
  methods: ['GET'],
  authLevel: 'function',
  extraInputs: [client],
  handler: handled(async (req: HttpRequest, context: InvocationContext) => {
    const name = nameParam(req.params.name, 'PIPELINE.NOT_FOUND', 'pipeline');
    const instanceId = runIdParam(name, req.params.instanceId);
    const comp = await composition();
    const { run, candidates, status } = await loadRun(comp, context, name, instanceId);
    const customStatus = await withLiveCandidates(df.getClient(context), status?.customStatus, comp.clock.now());
    return {
      jsonBody: {
        run,
        candidates: withoutMachinePaths(candidates.sort((a, b) => a.candidateId.localeCompare(b.candidateId))),
        orchestration: status?.runtimeStatus
          ? {
              runtimeStatus: status.runtimeStatus,
              customStatus,
              output: status.output,
              lastUpdatedTime: status.lastUpdatedTime,
            }
          : undefined,
      },
    };
  }),
});

/** POST .../cancel — raises the cancel event, so the run tears its compute down before it ends. */
export const cancelPipelineRunHandler = handled(async (req: HttpRequest, context: InvocationContext) => {
  const name = nameParam(req.params.name, 'PIPELINE.NOT_FOUND', 'pipeline');
  const instanceId = runIdParam(name, req.params.instanceId);
  const durable = df.getClient(context);
  const status = await durable.getStatus(instanceId).catch(() => undefined);
  if (!status?.runtimeStatus) throw new ApiError(404, 'RUN.NOT_FOUND', `pipeline ${name} has no run ${instanceId}`);
  if (![df.OrchestrationRuntimeStatus.Running, df.OrchestrationRuntimeStatus.Pending].includes(status.runtimeStatus)) {
    throw new ApiError(409, 'RUN.NOT_RUNNING', `run ${instanceId} is ${status.runtimeStatus}`);
  }
  await durable.raiseEvent(instanceId, cancelEventName, { requestedAt: new Date().toISOString() });
  return { status: 202, jsonBody: { instanceId, cancelRequested: true } };
});

app.http('cancelPipelineRun', {
  route: 'pipelines/{name}/runs/{instanceId}/cancel',
  methods: ['POST'],
  authLevel: 'function',
  extraInputs: [client],
  handler: cancelPipelineRunHandler,
});

/** GET /api/pipelines/{name}/leaderboard — every candidate of every run, best first by the metric. */
app.http('pipelineLeaderboard', {
  route: 'pipelines/{name}/leaderboard',
  methods: ['GET'],
  authLevel: 'function',
  handler: handled(async (req: HttpRequest) => {
    const { comp, stored } = await storedSpec(req.params.name);
    const metric = (req.query.get('metric') ?? stored.spec.selection.metric) as SelectionMetric;
    if (!['accuracy', 'classAverageAccuracy', 'macroRocAuc'].includes(metric))
      throw new ApiError(400, 'REQUEST.BAD_PARAMETER', 'metric must be accuracy, classAverageAccuracy or macroRocAuc');
    const top = positiveIntParam(req.query.get('top'), 'top', 20, 500);
    const rows = await leaderboard(comp.runs, stored.name, metric, top);
    return { jsonBody: { pipeline: stored.name, metric, leaderboard: rows } };
  }),
});

/**
 * While a run waits on a child, the parent's status is as of the child's start: its elapsed time is
 * brought up to now, and while it trains, the training child's candidate counts replace the parent's.
 */
async function withLiveCandidates(durable: df.DurableClient, customStatus: unknown, now: Date): Promise<unknown> {
  const parent = customStatus as { activeChild?: string; candidates?: object; startedAt?: string } | undefined;
  if (!parent?.activeChild) return customStatus;
  const elapsedSeconds = parent.startedAt ? Math.round((now.getTime() - Date.parse(parent.startedAt)) / 100) / 10 : undefined;
  const live = { ...parent, ...(elapsedSeconds === undefined ? {} : { elapsedSeconds }) };
  if (!parent.activeChild.endsWith(':trainCandidates')) return live;
  const child = await durable.getStatus(parent.activeChild, { showInput: false }).catch(() => undefined);
  const counts = child?.customStatus as { total?: number } | undefined;
  return typeof counts?.total === 'number' ? { ...live, candidates: { ...parent.candidates, ...counts } } : live;
}
