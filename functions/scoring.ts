import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { app as composition } from '../shared/composition';
import { chooseDeployment } from '../shared/domain/trafficSplit';
import { DeploymentRecord } from '../shared/ports/modelRegistry';
import { metricsRecorder } from './lib/deploymentMetricsView';
import { ApiError, handled, nameParam } from './lib/http';
import { AttemptResult, forwardScore, shouldRetry } from './lib/scoringProxy';
import { stopTrafficSplits, trafficSplits } from './lib/trafficRouting';

/** The model server's own default limit: anything larger would be refused there anyway. */
const maxScoreBytes = 16 * 1024 * 1024;

const scorableTypes = ['application/json', 'multipart/form-data'];

async function readScoreBody(req: HttpRequest): Promise<{ body: Buffer; contentType: string }> {
  const contentType = req.headers.get('content-type') ?? '';
  if (!scorableTypes.includes(contentType.split(';')[0].trim().toLowerCase()))
    throw new ApiError(415, 'SCORING.UNSUPPORTED_MEDIA_TYPE', `send application/json or multipart/form-data (got "${contentType}")`);
  if (Number(req.headers.get('content-length') ?? 0) > maxScoreBytes)
    throw new ApiError(413, 'REQUEST.TOO_LARGE', `the body is larger than ${maxScoreBytes} bytes`);
  const body = Buffer.from(await req.arrayBuffer());
  if (body.length > maxScoreBytes) throw new ApiError(413, 'REQUEST.TOO_LARGE', `the body is larger than ${maxScoreBytes} bytes`);
  if (body.length === 0) throw new ApiError(400, 'REQUEST.EMPTY', 'the body must hold the inputs to score');
  return { body, contentType };
}

/** Why each failed attempt failed, for the 503 and the log. */
function describe(deployment: DeploymentRecord, result: AttemptResult): string {
  return `${deployment.name}: ${result.kind === 'answered' ? `answered ${result.status}` : `${result.kind} (${result.message})`}`;
}

export const scoreModelHandler = handled(async (req: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
  const comp = await composition();
  const model = nameParam(req.params.name, 'MODEL.NOT_FOUND', 'model');
  const { body, contentType } = await readScoreBody(req);
  // From memory: refreshed in the background, and read afresh after a change made through this instance.
  const routing = await trafficSplits(comp).routingOf(model);
  if (!routing.known) throw new ApiError(404, 'MODEL.NOT_FOUND', `no model named "${model}"`);
  let candidates = routing.routable;
  const failures: string[] = [];
  const recorder = metricsRecorder(comp);
  // One attempt, then at most one retry on another deployment with traffic.
  for (let attempt = 0; attempt < 2; attempt++) {
    const deployment = chooseDeployment(candidates, Math.random());
    if (!deployment) break;
    const started = performance.now();
    const result = await forwardScore(deployment.endpoint as string, body, contentType, comp.config.scoring.timeoutMs);
    const retry = shouldRetry(result);
    recorder.record({
      model,
      deployment: deployment.name,
      version: deployment.version,
      latencyMs: performance.now() - started,
      failed: retry,
      at: comp.clock.now(),
    });
    if (!retry && result.kind === 'answered') {
      return {
        status: result.status,
        body: result.body,
        headers: {
          'content-type': result.contentType,
          'x-canopy-deployment': deployment.name,
          'x-canopy-model-version': String(deployment.version),
          'x-canopy-attempts': String(attempt + 1),
        },
      };
    }
    failures.push(describe(deployment, result));
    candidates = candidates.filter((d) => d.name !== deployment.name);
  }
  if (failures.length > 0) context.warn(`scoring ${model}: ${failures.join('; ')}`);
  throw new ApiError(
    503,
    'SCORING.NO_HEALTHY_DEPLOYMENT',
    failures.length > 0
      ? `no deployment of ${model} answered: ${failures.join('; ')}`
      : `model ${model} has no healthy deployment with traffic`,
    { attempts: failures },
  );
});

app.http('scoreModel', {
  route: 'models/{name}/score',
  methods: ['POST'],
  authLevel: 'function',
  handler: scoreModelHandler,
});

app.hook.appTerminate(() => stopTrafficSplits());
