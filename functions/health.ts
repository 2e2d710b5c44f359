import { app, HttpResponseInit } from '@azure/functions';
import { healthProbes } from '../shared/composition';
import { config } from '../shared/config';
import { checkHealth } from '../shared/domain/health';

/** Liveness and dependency check: the app's version and whether storage and Cosmos DB answer. */
export async function health(): Promise<HttpResponseInit> {
  const cfg = config();
  const report = await checkHealth(healthProbes(), cfg.version, cfg.healthTimeoutMs);
  return { status: report.status === 'healthy' ? 200 : 503, jsonBody: report, headers: { 'cache-control': 'no-store' } };
}

app.http('health', { methods: ['GET'], authLevel: 'anonymous', route: 'health', handler: health });
