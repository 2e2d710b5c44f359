import { app } from '@azure/functions';
import { app as composition } from '../shared/composition';
import { liveResources } from '../shared/usecases/liveResources';
import { lastReaperPass } from '../shared/usecases/reaperPasses';
import { dashboardRoute } from './lib/dashboardAccess';

/** GET /api/ui/resources — what is alive now (owner run, age, expiry, cost so far) and the reaper's last pass. */
app.http('dashboardResources', {
  route: 'ui/resources',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: dashboardRoute(async () => {
    const comp = await composition();
    const now = comp.clock.now();
    const [resources, lastPass] = await Promise.all([
      liveResources({ ledger: comp.ledger, runs: comp.runs, now }),
      lastReaperPass(comp.blobs),
    ]);
    return { jsonBody: { now: now.toISOString(), resources, lastReaperPass: lastPass } };
  }),
});
