import { app, HttpResponseInit } from '@azure/functions';
import { app as composition } from '../shared/composition';
import { checkHealth } from '../shared/domain/health';

/** Liveness and dependency check: the app's version and whether storage and Cosmos DB answer. */
export async function health(): Promise<HttpResponseInit> {
  const { config, healthProbes } = composition();
  const report = await checkHealth(healthProbes, config.version, config.healthTimeoutMs);
  return { status: report.status === 'healthy' ? 200 : 503, jsonBody: report, headers: { 'cache-control': 'no-store' } };
}

app.http('health', { methods: ['GET'], authLevel: 'anonymous', route: 'health', handler: health });
