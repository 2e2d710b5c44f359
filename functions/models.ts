import { app, HttpRequest } from '@azure/functions';
import { app as composition, Composition } from '../shared/composition';
import { promoteVersion, rollBack } from '../shared/usecases/traffic';
import { deploymentMetricsOf } from './lib/deploymentMetricsView';
import { ApiError, handled, nameParam, positiveIntParam } from './lib/http';
import { publicModelVersion } from './lib/publicView';
import { changingTraffic } from './lib/trafficRouting';

async function versionsOf(comp: Composition, model: string) {
  const versions = await comp.registry.listVersions(model);
  if (versions.length === 0) throw new ApiError(404, 'MODEL.NOT_FOUND', `no model named "${model}"`);
  return versions.map(publicModelVersion);
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
    const model = nameParam(req.params.name, 'MODEL.NOT_FOUND', 'model');
    return { jsonBody: { model, versions: await versionsOf(comp, model) } };
  }),
});

app.http('getModelVersion', {
  route: 'models/{name}/versions/{version:int}',
  methods: ['GET'],
  authLevel: 'function',
  handler: handled(async (req: HttpRequest) => {
    const model = nameParam(req.params.name, 'MODEL.NOT_FOUND', 'model');
    const number = positiveIntParam(req.params.version, 'version', 1, 1_000_000);
    const comp = await composition();
    const version = await comp.registry.getVersion(model, number);
    if (!version) throw new ApiError(404, 'MODEL.VERSION_NOT_FOUND', `model ${model} has no version ${number}`);
    return { jsonBody: publicModelVersion(version) };
  }),
});

export const promoteModelVersionHandler = handled(async (req: HttpRequest) => {
  const comp = await composition();
  const model = nameParam(req.params.name, 'MODEL.NOT_FOUND', 'model');
  const version = positiveIntParam(req.params.version, 'version', 1, 1_000_000);
  // The scoring metrics the switch was decided on (last hour), returned with the decision.
  const metrics = await deploymentMetricsOf(comp, model);
  return { jsonBody: { model, version, ...(await changingTraffic(model, () => promoteVersion(comp, model, version))), metrics } };
});

app.http('promoteModelVersion', {
  route: 'models/{name}/versions/{version:int}/promote',
  methods: ['POST'],
  authLevel: 'function',
  handler: promoteModelVersionHandler,
});

export const rollbackModelHandler = handled(async (req: HttpRequest) => {
  const comp = await composition();
  const model = nameParam(req.params.name, 'MODEL.NOT_FOUND', 'model');
  const metrics = await deploymentMetricsOf(comp, model);
  return { jsonBody: { model, ...(await changingTraffic(model, () => rollBack(comp, model))), metrics } };
});

app.http('rollbackModel', {
  route: 'models/{name}/rollback',
  methods: ['POST'],
  authLevel: 'function',
  handler: rollbackModelHandler,
});

app.http('listModelDeployments', {
  route: 'models/{name}/deployments',
  methods: ['GET'],
  authLevel: 'function',
  handler: handled(async (req: HttpRequest) => {
    const comp = await composition();
    const model = nameParam(req.params.name, 'MODEL.NOT_FOUND', 'model');
    await versionsOf(comp, model);
    const metrics = await deploymentMetricsOf(comp, model);
    const deployments = (await comp.registry.listDeployments(model)).map((d) => ({
      ...d,
      metrics: metrics.find((m) => m.deployment === d.name),
    }));
    return { jsonBody: { model, deployments } };
  }),
});
