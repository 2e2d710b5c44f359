import { randomUUID } from 'node:crypto';
import { app, HttpRequest, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { app as composition, Composition } from '../shared/composition';
import { healthyDeploymentOf } from '../shared/domain/traffic';
import { readPackageManifest } from '../orchestrations/batchScoring/activities/packageManifest';
import { BatchScoringInput, batchScoringName, BlobLocation, cancelEventName, ScoringRoute } from '../orchestrations/batchScoring/contracts';
import { ApiError, handled, nameParam, readJson } from './lib/http';

const client = df.input.durableClient();

const defaults = { via: 'scorer' as ScoringRoute, pageSize: 500, concurrency: 4, outputContainer: 'canopy-artifacts' };
const limits = { pageSize: 5000, concurrency: 16 };
const containerName = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;
const instancePattern = /^batch-[0-9a-f]{32}$/;
const fields = ['version', 'source', 'output', 'via', 'pageSize', 'concurrency'];

interface BatchScoringRequest {
  version?: number;
  source: BlobLocation;
  output?: BlobLocation;
  via: ScoringRoute;
  pageSize: number;
  concurrency: number;
}

function location(value: unknown, field: string, problems: string[]): BlobLocation | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    problems.push(`${field} must be an object { container, prefix? }`);
    return undefined;
  }
  const { container, prefix = '', ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0) problems.push(`${field} has unknown fields: ${Object.keys(rest).join(', ')}`);
  if (typeof container !== 'string' || !containerName.test(container))
    problems.push(`${field}.container must be a blob container name (3–63 lower-case letters, digits and single dashes)`);
  if (typeof prefix !== 'string' || prefix.startsWith('/') || prefix.length > 512)
    problems.push(`${field}.prefix must be a blob name prefix (not starting with /, at most 512 characters)`);
  if (typeof container !== 'string' || typeof prefix !== 'string') return undefined;
  // A prefix names a folder: `fashion/test` scores fashion/test/*, not fashion/test-old/*.
  return { container, prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/` };
}

function integer(value: unknown, field: string, fallback: number, max: number, problems: string[]): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > max)
    problems.push(`${field} must be an integer from 1 to ${max}`);
  return value as number;
}

/** The request body, with every problem listed in one 400. */
function parseBatchScoringRequest(body: unknown): BatchScoringRequest {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new ApiError(400, 'REQUEST.BAD_BODY', 'send { "source": { "container", "prefix" }, "via"?, "version"?, "output"?, "pageSize"? }');
  const b = body as Record<string, unknown>;
  const problems: string[] = [];
  const unknown = Object.keys(b).filter((k) => !fields.includes(k));
  if (unknown.length > 0) problems.push(`unknown fields: ${unknown.join(', ')}`);
  if (b.version !== undefined) integer(b.version, 'version', 1, 1_000_000, problems);
  const source = b.source === undefined ? (problems.push('source is required'), undefined) : location(b.source, 'source', problems);
  const output = b.output === undefined ? undefined : location(b.output, 'output', problems);
  if (b.via !== undefined && b.via !== 'scorer' && b.via !== 'spark') problems.push('via must be "scorer" or "spark"');
  const pageSize = integer(b.pageSize, 'pageSize', defaults.pageSize, limits.pageSize, problems);
  const concurrency = integer(b.concurrency, 'concurrency', defaults.concurrency, limits.concurrency, problems);
  if (problems.length > 0 || !source)
    throw new ApiError(400, 'REQUEST.INVALID', `the request has ${problems.length} problem(s)`, { problems });
  return { version: b.version as number | undefined, source, output, via: (b.via as ScoringRoute) ?? defaults.via, pageSize, concurrency };
}

/** The version to score with (the production one unless named), its labels, and for the scorer route a deployment that serves it. */
async function resolveModel(comp: Composition, model: string, request: BatchScoringRequest) {
  const versions = await comp.registry.listVersions(model);
  if (versions.length === 0) throw new ApiError(404, 'MODEL.NOT_FOUND', `no model named "${model}"`);
  const chosen =
    request.version === undefined ? versions.find((v) => v.stage === 'production') : versions.find((v) => v.version === request.version);
  if (!chosen) {
    if (request.version !== undefined)
      throw new ApiError(404, 'MODEL.VERSION_NOT_FOUND', `model ${model} has no version ${request.version}`);
    throw new ApiError(409, 'MODEL.NO_PRODUCTION', `model ${model} has no production version; name one with "version"`);
  }
  const manifest = await readPackageManifest(comp.blobs, chosen.packageUri);
  if (!manifest) throw new ApiError(409, 'MODEL.NO_PACKAGE', `version ${chosen.version} of ${model} has no readable model package`);
  if (manifest.task !== 'image-classification')
    throw new ApiError(
      400,
      'MODEL.UNSUPPORTED_TASK',
      `batch scoring takes image models; version ${chosen.version} of ${model} is ${manifest.task}`,
    );
  if (request.via === 'scorer' && !healthyDeploymentOf(await comp.registry.listDeployments(model), chosen.version))
    throw new ApiError(
      409,
      'MODEL.NOT_DEPLOYED',
      `version ${chosen.version} of ${model} has no healthy deployment; deploy it or use "via": "spark"`,
    );
  return { version: chosen.version, packageUri: chosen.packageUri, labels: manifest.labels };
}

/** POST /api/models/{name}/batch-scoring — scores every image under a source prefix; 202 with the status URL. */
app.http('startBatchScoring', {
  route: 'models/{name}/batch-scoring',
  methods: ['POST'],
  authLevel: 'function',
  extraInputs: [client],
  handler: handled(async (req: HttpRequest, context: InvocationContext) => {
    const request = parseBatchScoringRequest(await readJson(req, 16 * 1024));
    const comp = await composition();
    const model = nameParam(req.params.name, 'MODEL.NOT_FOUND', 'model');
    const resolved = await resolveModel(comp, model, request);
    const sample = await comp.blobs.list(request.source.container, request.source.prefix, { pageSize: 1 });
    if (sample.items.length === 0)
      throw new ApiError(400, 'SOURCE.EMPTY', `no blobs under ${request.source.container}/${request.source.prefix}`);
    const instanceId = `batch-${randomUUID().replace(/-/g, '')}`;
    const base = request.output ?? { container: defaults.outputContainer, prefix: `batch-scoring/${model}/` };
    const input: BatchScoringInput = {
      model,
      ...resolved,
      source: request.source,
      // Each run writes under its own folder: a page file found there can only be this run's.
      output: { container: base.container, prefix: `${base.prefix}${instanceId}/` },
      via: request.via,
      pageSize: request.pageSize,
      concurrency: request.concurrency,
      // HDInsight wherever it is configured (always in Azure; locally when the Azure fakes are), local Spark otherwise.
      compute: { target: comp.config.azure ? 'hdinsight' : 'local-spark', timeoutMinutes: 60, maxLifetimeMinutes: 180 },
      pollSeconds: comp.config.pollSeconds,
    };
    await df.getClient(context).startNew(batchScoringName, { instanceId, input });
    const statusUrl = new URL(`/api/batch-scoring/${instanceId}`, req.url).toString();
    return {
      status: 202,
      headers: { location: statusUrl, 'retry-after': '5' },
      jsonBody: {
        instanceId,
        model,
        version: resolved.version,
        via: request.via,
        output: comp.blobs.url({ container: input.output.container, name: input.output.prefix }),
        statusUrl,
      },
    };
  }),
});

async function batchRun(context: InvocationContext, instanceId: string) {
  const status = instancePattern.test(instanceId)
    ? await df
        .getClient(context)
        .getStatus(instanceId, { showInput: true })
        .catch(() => undefined)
    : undefined;
  if (!status?.runtimeStatus || status.name !== batchScoringName)
    throw new ApiError(404, 'BATCH.NOT_FOUND', `no batch scoring run ${instanceId}`);
  return status;
}

/** GET /api/batch-scoring/{id} — status, pages done/total, where the output is, and the summary once done. */
export const getBatchScoringHandler = handled(async (req: HttpRequest, context: InvocationContext) => {
  const status = await batchRun(context, req.params.id);
  const input = status.input as BatchScoringInput;
  const comp = await composition();
  return {
    jsonBody: {
      instanceId: status.instanceId,
      runtimeStatus: status.runtimeStatus,
      model: input.model,
      version: input.version,
      via: input.via,
      source: input.source,
      output: { ...input.output, url: comp.blobs.url({ container: input.output.container, name: input.output.prefix }) },
      progress: status.customStatus,
      summary: status.output ?? undefined,
      createdTime: status.createdTime,
      lastUpdatedTime: status.lastUpdatedTime,
    },
  };
});

app.http('getBatchScoring', {
  route: 'batch-scoring/{id}',
  methods: ['GET'],
  authLevel: 'function',
  extraInputs: [client],
  handler: getBatchScoringHandler,
});

/** POST /api/batch-scoring/{id}/cancel — the run stops starting pages, tears down its compute and writes its summary. */
app.http('cancelBatchScoring', {
  route: 'batch-scoring/{id}/cancel',
  methods: ['POST'],
  authLevel: 'function',
  extraInputs: [client],
  handler: handled(async (req: HttpRequest, context: InvocationContext) => {
    const status = await batchRun(context, req.params.id);
    if (![df.OrchestrationRuntimeStatus.Running, df.OrchestrationRuntimeStatus.Pending].includes(status.runtimeStatus))
      throw new ApiError(409, 'BATCH.NOT_RUNNING', `run ${req.params.id} is ${status.runtimeStatus}`);
    await df.getClient(context).raiseEvent(req.params.id, cancelEventName, { requestedAt: new Date().toISOString() });
    return { status: 202, jsonBody: { instanceId: req.params.id, cancelRequested: true } };
  }),
});
