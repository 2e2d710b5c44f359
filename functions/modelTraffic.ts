import { app, HttpRequest } from '@azure/functions';
import { app as composition, Composition } from '../shared/composition';
import { validateTrafficSplit } from '../shared/domain/trafficSplit';
import { maxMetricsLookbackMinutes } from '../shared/domain/deploymentMetrics';
import { deploymentMetricsOf } from './lib/deploymentMetricsView';
import { ApiError, handled, positiveIntParam, readJson } from './lib/http';

async function deploymentsOf(comp: Composition, model: string) {
  const deployments = await comp.registry.listDeployments(model);
  if (deployments.length === 0 && (await comp.registry.listVersions(model)).length === 0)
    throw new ApiError(404, 'MODEL.NOT_FOUND', `no model named "${model}"`);
  return deployments;
}

app.http('setModelTraffic', {
  route: 'models/{name}/traffic',
  methods: ['PUT'],
  authLevel: 'function',
  handler: handled(async (req: HttpRequest) => {
    const comp = await composition();
    const model = req.params.name;
    const body = await readJson(req);
    const deployments = await deploymentsOf(comp, model);
    const checked = validateTrafficSplit(body, deployments);
    if (!checked.ok) throw new ApiError(400, 'TRAFFIC.INVALID_SPLIT', checked.problems.join('; '), { problems: checked.problems });
    const now = comp.clock.now().toISOString();
    // Shares going down first: while the split is rewritten no deployment has more than both its old and new share.
    const changes = deployments
      .filter((d) => d.trafficPercent !== checked.split[d.name])
      .sort((a, b) => checked.split[a.name] - a.trafficPercent - (checked.split[b.name] - b.trafficPercent));
    for (const d of changes) await comp.registry.upsertDeployment({ ...d, trafficPercent: checked.split[d.name], updatedAt: now });
    return {
      jsonBody: {
        model,
        deployments: (await comp.registry.listDeployments(model)).map((d) => ({
          name: d.name,
          version: d.version,
          state: d.state,
          trafficPercent: d.trafficPercent,
        })),
      },
    };
  }),
});

app.http('getModelMetrics', {
  route: 'models/{name}/metrics',
  methods: ['GET'],
  authLevel: 'function',
  handler: handled(async (req: HttpRequest) => {
    const comp = await composition();
    const model = req.params.name;
    await deploymentsOf(comp, model);
    const minutes = positiveIntParam(req.query.get('minutes'), 'minutes', 60, maxMetricsLookbackMinutes);
    return { jsonBody: { model, minutes, deployments: await deploymentMetricsOf(comp, model, minutes) } };
  }),
});
