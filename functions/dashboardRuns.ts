import { app, HttpRequest, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { app as composition } from '../shared/composition';
import { SelectionMetric } from '../shared/domain/pipelineSpec';
import { runSortFields, RunStatus } from '../shared/ports/runStore';
import { leaderboard } from '../shared/usecases/leaderboard';
import { pipelinesOverview } from '../shared/usecases/pipelinesOverview';
import { candidateBars, LiveRunStatus, runDurationSeconds, runFailure, stageTimeline } from '../shared/usecases/runView';
import { cancelPipelineRunHandler } from './pipelines';
import { dashboardRoute } from './lib/dashboardAccess';
import { continuationParam, oneOfParam } from './lib/dashboardParams';
import { ApiError, nameParam, positiveIntParam, runIdParam } from './lib/http';
import { withoutMachinePaths } from './lib/publicView';
import { loadRun } from './lib/runRecords';

const client = df.input.durableClient();

const runStatuses: readonly RunStatus[] = ['running', 'succeeded', 'failed', 'cancelled', 'terminated'];
const triggers = ['http', 'blob', 'schedule'] as const;
const metrics: readonly SelectionMetric[] = ['accuracy', 'classAverageAccuracy', 'macroRocAuc'];
const liveStatuses = [
  df.OrchestrationRuntimeStatus.Running,
  df.OrchestrationRuntimeStatus.Pending,
  df.OrchestrationRuntimeStatus.Suspended,
];

async function storedPipeline(routeName: string | undefined) {
  const name = nameParam(routeName, 'PIPELINE.NOT_FOUND', 'pipeline');
  const comp = await composition();
  const stored = await comp.specs.get(name);
  if (!stored) throw new ApiError(404, 'PIPELINE.NOT_FOUND', `no pipeline named "${name}"`);
  return { comp, stored };
}

/** GET /api/ui/pipelines — every pipeline with its last run, schedule and production model. */
app.http('dashboardPipelines', {
  route: 'ui/pipelines',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: dashboardRoute(async () => {
    const comp = await composition();
    return { jsonBody: { pipelines: await pipelinesOverview(comp) } };
  }),
});

/** GET /api/ui/pipelines/{name}/runs — a page of the pipeline's runs, filtered and sorted in the store. */
app.http('dashboardPipelineRuns', {
  route: 'ui/pipelines/{name}/runs',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: dashboardRoute(async (req: HttpRequest) => {
    const { comp, stored } = await storedPipeline(req.params.name);
    const page = await comp.runs.listPipelineRuns(stored.name, {
      top: positiveIntParam(req.query.get('top'), 'top', 25, 100),
      continuation: continuationParam(req),
      status: oneOfParam(req, 'status', runStatuses),
      trigger: oneOfParam(req, 'trigger', triggers),
      sortBy: oneOfParam(req, 'sort', runSortFields),
      order: oneOfParam(req, 'order', ['asc', 'desc'] as const),
    });
    const now = comp.clock.now();
    const runs = page.items.map((run) => ({ ...run, durationSeconds: runDurationSeconds(run, now) }));
    return { jsonBody: { pipeline: stored.name, runs, continuation: page.next } };
  }),
});

/** GET /api/ui/pipelines/{name}/runs/{instanceId} — the run page: timeline, candidates as bars, copy counts, decision, failure. */
app.http('dashboardPipelineRun', {
  route: 'ui/pipelines/{name}/runs/{instanceId}',
  methods: ['GET'],
  authLevel: 'anonymous',
  extraInputs: [client],
  handler: dashboardRoute(async (req: HttpRequest, context: InvocationContext) => {
    const name = nameParam(req.params.name, 'PIPELINE.NOT_FOUND', 'pipeline');
    const instanceId = runIdParam(name, req.params.instanceId);
    const comp = await composition();
    const { run, candidates, status } = await loadRun(comp, context, name, instanceId);
    const live = status?.runtimeStatus !== undefined && liveStatuses.includes(status.runtimeStatus);
    const customStatus = status?.customStatus as LiveRunStatus | undefined;
    return {
      jsonBody: {
        run: run ?? null,
        live,
        orchestration: status?.runtimeStatus
          ? { runtimeStatus: status.runtimeStatus, customStatus, lastUpdatedTime: status.lastUpdatedTime }
          : undefined,
        timeline: stageTimeline(run?.stageSeconds ?? {}),
        candidates: withoutMachinePaths(candidateBars(candidates, run?.startedAt)),
        copy: customStatus?.copy ?? null,
        decision: run?.decision ?? null,
        costUsd: live ? (customStatus?.estimatedCostUsd ?? run?.costUsd ?? 0) : (run?.costUsd ?? 0),
        failure: withoutMachinePaths(runFailure(run, candidates)),
      },
    };
  }),
});

/** GET /api/ui/pipelines/{name}/runs/{instanceId}/candidates/{candidateId} — a candidate with its whole metrics.json. */
app.http('dashboardCandidate', {
  route: 'ui/pipelines/{name}/runs/{instanceId}/candidates/{candidateId}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: dashboardRoute(async (req: HttpRequest) => {
    const name = nameParam(req.params.name, 'PIPELINE.NOT_FOUND', 'pipeline');
    const instanceId = runIdParam(name, req.params.instanceId);
    const comp = await composition();
    const candidate = await comp.runs.getCandidateRun(name, instanceId, req.params.candidateId ?? '');
    if (!candidate) throw new ApiError(404, 'CANDIDATE.NOT_FOUND', `run ${instanceId} has no such candidate`);
    const { metrics, ...record } = withoutMachinePaths(candidate);
    return { jsonBody: { candidate: record, metrics: metrics ?? null } };
  }),
});

/** GET /api/ui/pipelines/{name}/leaderboard — the best candidates across runs, as the keyed leaderboard ranks them. */
app.http('dashboardLeaderboard', {
  route: 'ui/pipelines/{name}/leaderboard',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: dashboardRoute(async (req: HttpRequest) => {
    const { comp, stored } = await storedPipeline(req.params.name);
    const metric = oneOfParam(req, 'metric', metrics) ?? stored.spec.selection.metric;
    const top = positiveIntParam(req.query.get('top'), 'top', 50, 500);
    return { jsonBody: { pipeline: stored.name, metric, leaderboard: await leaderboard(comp.runs, stored.name, metric, top) } };
  }),
});

/** GET /api/ui/cost — cost and node-minutes of every run over the last `days`, oldest first. */
app.http('dashboardCost', {
  route: 'ui/cost',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: dashboardRoute(async (req: HttpRequest) => {
    const comp = await composition();
    const pipeline = req.query.get('pipeline');
    const names = pipeline ? [(await storedPipeline(pipeline)).stored.name] : (await comp.specs.list()).map((s) => s.name);
    const days = positiveIntParam(req.query.get('days'), 'days', 30, 365);
    const since = new Date(comp.clock.now().getTime() - days * 24 * 3_600_000);
    const runs = (await Promise.all(names.map((n) => comp.runs.listRunCosts(n, since)))).flat();
    return { jsonBody: { days, runs: runs.sort((a, b) => a.startedAt.localeCompare(b.startedAt)) } };
  }),
});

/** POST /api/ui/pipelines/{name}/runs/{instanceId}/cancel — the keyed cancel, behind the dashboard's gate. */
app.http('dashboardCancelRun', {
  route: 'ui/pipelines/{name}/runs/{instanceId}/cancel',
  methods: ['POST'],
  authLevel: 'anonymous',
  extraInputs: [client],
  handler: dashboardRoute((req, context) => cancelPipelineRunHandler(req, context), { changesState: true }),
});
