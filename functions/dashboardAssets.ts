import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { app, HttpRequest, HttpResponseInit } from '@azure/functions';
import { assetFile, assetHeaders } from './lib/dashboardFiles';
import { ApiError, handled } from './lib/http';

/**
 * GET /api/dashboard/{*path} — the dashboard's static files. Anonymous: they hold no data (every data route checks
 * who is asking), and in Azure the platform's sign-in stands in front of them anyway.
 */
app.http('dashboardAssets', {
  route: 'dashboard/{*path}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: handled(async (req: HttpRequest): Promise<HttpResponseInit> => {
    const file = assetFile(req.params.path ?? '');
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'EISDIR') throw err;
      const built = path.basename(file) === 'index.html' ? ' (build it with npm run build)' : '';
      throw new ApiError(404, 'DASHBOARD.NOT_FOUND', `no such dashboard file${built}`);
    }
    return { status: 200, body, headers: assetHeaders(file) };
  }),
});
