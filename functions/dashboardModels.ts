import { app, HttpRequest } from '@azure/functions';
import { app as composition } from '../shared/composition';
import { maxMetricsLookbackMinutes, metricsWindowMs } from '../shared/domain/deploymentMetrics';
import { deploymentSeries } from '../shared/usecases/deploymentSeries';
import { setModelTrafficHandler } from './modelTraffic';
import { promoteModelVersionHandler, rollbackModelHandler } from './models';
import { scoreModelHandler } from './scoring';
import { dashboardRoute } from './lib/dashboardAccess';
import { deploymentMetricsOf, metricsRecorder } from './lib/deploymentMetricsView';
import { ApiError, nameParam, positiveIntParam } from './lib/http';
import { publicModelVersion } from './lib/publicView';

/** GET /api/ui/models — every model with its production version and number of versions. */
app.http('dashboardModels', {
  route: 'ui/models',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: dashboardRoute(async () => {
    const comp = await composition();
    const models = await Promise.all(
      (await comp.registry.listModels()).map(async (model) => {
        const [production, versions] = await Promise.all([comp.registry.getProduction(model), comp.registry.listVersions(model)]);
        return { model, productionVersion: production?.version, versions: versions.length };
      }),
    );
    return { jsonBody: { models } };
  }),
});

/** GET /api/ui/models/{name} — versions with lineage and stage, deployments with state, endpoint, traffic and last hour's metrics. */
app.http('dashboardModel', {
  route: 'ui/models/{name}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: dashboardRoute(async (req: HttpRequest) => {
    const model = nameParam(req.params.name, 'MODEL.NOT_FOUND', 'model');
    const comp = await composition();
    const [versions, deployments, metrics] = await Promise.all([
      comp.registry.listVersions(model),
      comp.registry.listDeployments(model),
      deploymentMetricsOf(comp, model),
    ]);
    if (versions.length === 0) throw new ApiError(404, 'MODEL.NOT_FOUND', `no model named "${model}"`);
    return {
      jsonBody: {
        model,
        versions: versions.sort((a, b) => b.version - a.version).map(publicModelVersion),
        deployments: deployments.map((d) => ({ ...d, metrics: metrics.find((m) => m.deployment === d.name) })),
      },
    };
  }),
});

/** GET /api/ui/models/{name}/metrics/series — requests, errors, p50 and p99 per deployment per minute. */
app.http('dashboardModelMetricsSeries', {
  route: 'ui/models/{name}/metrics/series',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: dashboardRoute(async (req: HttpRequest) => {
    const model = nameParam(req.params.name, 'MODEL.NOT_FOUND', 'model');
    const minutes = positiveIntParam(req.query.get('minutes'), 'minutes', 60, maxMetricsLookbackMinutes);
    const comp = await composition();
    if ((await comp.registry.listVersions(model)).length === 0) throw new ApiError(404, 'MODEL.NOT_FOUND', `no model named "${model}"`);
    // This instance's pending outcomes first, so the last minute is as full as the keyed metrics route shows it.
    await metricsRecorder(comp).flush();
    const now = comp.clock.now().getTime();
    const since = new Date(Math.floor((now - minutes * 60_000) / metricsWindowMs) * metricsWindowMs + metricsWindowMs);
    return { jsonBody: { model, minutes, deployments: deploymentSeries(await comp.deploymentMetrics.list(model, since)) } };
  }),
});

/** The keyed actions, behind the dashboard's gate and its same-site check. */
const actions = [
  {
    name: 'dashboardPromote',
    route: 'ui/models/{name}/versions/{version:int}/promote',
    method: 'POST',
    handler: promoteModelVersionHandler,
  },
  { name: 'dashboardRollback', route: 'ui/models/{name}/rollback', method: 'POST', handler: rollbackModelHandler },
  { name: 'dashboardTraffic', route: 'ui/models/{name}/traffic', method: 'PUT', handler: setModelTrafficHandler },
  { name: 'dashboardScore', route: 'ui/models/{name}/score', method: 'POST', handler: scoreModelHandler },
] as const;

for (const action of actions)
  app.http(action.name, {
    route: action.route,
    methods: [action.method],
    authLevel: 'anonymous',
    handler: dashboardRoute((req, context) => action.handler(req, context), { changesState: true }),
  });
