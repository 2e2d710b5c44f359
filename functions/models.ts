import { app, HttpRequest } from '@azure/functions';
import { app as composition, Composition } from '../shared/composition';
import { promoteVersion, rollBack } from '../shared/usecases/traffic';
import { deploymentMetricsOf } from './lib/deploymentMetricsView';
import { ApiError, handled, positiveIntParam } from './lib/http';
import { changingTraffic } from './lib/trafficRouting';

async function versionsOf(comp: Composition, model: string) {
  const versions = await comp.registry.listVersions(model);
  if (versions.length === 0) throw new ApiError(404, 'MODEL.NOT_FOUND', `no model named "${model}"`);
  return versions;
}

app.http('listModels', {
  route: 'models',
  methods: ['GET'],
  authLevel: 'function',
  handler: handled(async () => {
    const comp = await composition();
    const models = await comp.registry.listModels();
    const described = await Promise.all(
      models.map(async (model) => {
        const production = await comp.registry.getProduction(model);
        return { model, productionVersion: production?.version, versions: (await comp.registry.listVersions(model)).length };
      }),
    );
    return { jsonBody: { models: described } };
  }),
});

app.http('listModelVersions', {
  route: 'models/{name}',
  methods: ['GET'],
  authLevel: 'function',
  handler: handled(async (req: HttpRequest) => {
    const comp = await composition();
    return { jsonBody: { model: req.params.name, versions: await versionsOf(comp, req.params.name) } };
  }),
});

app.http('getModelVersion', {
  route: 'models/{name}/versions/{version:int}',
  methods: ['GET'],
  authLevel: 'function',
  handler: handled(async (req: HttpRequest) => {
    const comp = await composition();
    const version = await comp.registry.getVersion(req.params.name, positiveIntParam(req.params.version, 'version', 1, 1_000_000));
    if (!version) throw new ApiError(404, 'MODEL.VERSION_NOT_FOUND', `model ${req.params.name} has no version ${req.params.version}`);
    return { jsonBody: version };
  }),
});

app.http('promoteModelVersion', {
  route: 'models/{name}/versions/{version:int}/promote',
  methods: ['POST'],
  authLevel: 'function',
  handler: handled(async (req: HttpRequest) => {
    const comp = await composition();
    const model = req.params.name;
    const version = positiveIntParam(req.params.version, 'version', 1, 1_000_000);
    // The scoring metrics the switch was decided on (last hour), returned with the decision.
    const metrics = await deploymentMetricsOf(comp, model);
    return { jsonBody: { model, version, ...(await changingTraffic(model, () => promoteVersion(comp, model, version))), metrics } };
  }),
});

app.http('rollbackModel', {
  route: 'models/{name}/rollback',
  methods: ['POST'],
  authLevel: 'function',
  handler: handled(async (req: HttpRequest) => {
    const comp = await composition();
    const model = req.params.name;
    const metrics = await deploymentMetricsOf(comp, model);
    return { jsonBody: { model, ...(await changingTraffic(model, () => rollBack(comp, model))), metrics } };
  }),
});

app.http('listModelDeployments', {
  route: 'models/{name}/deployments',
  methods: ['GET'],
  authLevel: 'function',
  handler: handled(async (req: HttpRequest) => {
    const comp = await composition();
    await versionsOf(comp, req.params.name);
    const metrics = await deploymentMetricsOf(comp, req.params.name);
    const deployments = (await comp.registry.listDeployments(req.params.name)).map((d) => ({
      ...d,
      metrics: metrics.find((m) => m.deployment === d.name),
    }));
    return { jsonBody: { model: req.params.name, deployments } };
  }),
});
