import { app, HttpRequest } from '@azure/functions';
import { config } from '../shared/config';
import { csrfCookie, dashboardRoute, sessionCsrfToken } from './lib/dashboardAccess';

/** GET /api/ui/session — who the dashboard's user is, and the token its state-changing requests echo. */
app.http('dashboardSession', {
  route: 'ui/session',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: dashboardRoute(async (req: HttpRequest, _context, user) => {
    const runtime = config().runtime;
    const csrfToken = sessionCsrfToken(req);
    return { headers: { 'set-cookie': csrfCookie(csrfToken, runtime) }, jsonBody: { runtime, user, csrfToken } };
  }),
});
