import { app, HttpRequest } from '@azure/functions';
import { app as composition } from '../shared/composition';
import { maxMetricsLookbackMinutes } from '../shared/domain/deploymentMetrics';
import { setTrafficSplit } from '../shared/usecases/traffic';
import { deploymentMetricsOf } from './lib/deploymentMetricsView';
import { ApiError, handled, nameParam, positiveIntParam, readJson } from './lib/http';
import { changingTraffic } from './lib/trafficRouting';

export const setModelTrafficHandler = handled(async (req: HttpRequest) => {
  const comp = await composition();
  const model = nameParam(req.params.name, 'MODEL.NOT_FOUND', 'model');
  const requested = await readJson(req);
  const deployments = await changingTraffic(model, () => setTrafficSplit(comp, model, requested));
  return {
    jsonBody: {
      model,
      deployments: deployments.map((d) => ({
        name: d.name,
        version: d.version,
        state: d.state,
        trafficPercent: d.trafficPercent,
      })),
    },
  };
});

app.http('setModelTraffic', {
  route: 'models/{name}/traffic',
  methods: ['PUT'],
  authLevel: 'function',
  handler: setModelTrafficHandler,
});

app.http('getModelMetrics', {
  route: 'models/{name}/metrics',
  methods: ['GET'],
  authLevel: 'function',
  handler: handled(async (req: HttpRequest) => {
    const comp = await composition();
    const model = nameParam(req.params.name, 'MODEL.NOT_FOUND', 'model');
    if ((await comp.registry.listDeployments(model)).length === 0 && (await comp.registry.listVersions(model)).length === 0)
      throw new ApiError(404, 'MODEL.NOT_FOUND', `no model named "${model}"`);
    const minutes = positiveIntParam(req.query.get('minutes'), 'minutes', 60, maxMetricsLookbackMinutes);
    return { jsonBody: { model, minutes, deployments: await deploymentMetricsOf(comp, model, minutes) } };
  }),
});
