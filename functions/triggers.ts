import { app, HttpRequest, InvocationContext, Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { app as composition } from '../shared/composition';
import { dueRetraining } from '../shared/domain/retraining';
import { reapResources } from '../shared/usecases/reap';
import { recordReaperPass } from '../shared/usecases/reaperPasses';
import { startPipelineRun } from '../shared/usecases/startRun';
import { startRunDeps } from './lib/startRun';

const client = df.input.durableClient();

/** The container whose `<pipeline>/_READY` marker starts that pipeline. */
export const landingContainer = 'canopy-landing';

/**
 * A marker blob starts its pipeline: thousands of image uploads start nothing until the marker
 * lands, and the marker's ETag is the data version, so uploading it twice starts one run.
 */
app.storageBlob('pipelineMarker', {
  path: `${landingContainer}/{pipeline}/_READY`,
  connection: 'AzureWebJobsStorage',
  extraInputs: [client],
  handler: async (_blob: unknown, context: InvocationContext) => {
    const pipeline = String(context.triggerMetadata?.pipeline ?? '');
    const properties = context.triggerMetadata?.properties as { eTag?: string; etag?: string } | undefined;
    const etag = String(properties?.eTag ?? properties?.etag ?? '').replace(/"/g, '');
    const comp = await composition();
    const stored = await comp.specs.get(pipeline);
    if (!stored) {
      context.warn(`marker for unknown pipeline "${pipeline}" ignored; register its spec with POST /api/pipelines first`);
      return;
    }
    const result = await startPipelineRun(startRunDeps(comp, context), stored, `blob:${etag}`, 'blob');
    if (result.started) context.log(`pipeline ${pipeline} started as ${result.instanceId} by its marker`);
    else if (result.reason === 'running')
      context.warn(`pipeline ${pipeline} is already running as ${result.runningInstanceId}; marker ${etag} starts nothing`);
    else
      context.log(
        `marker ${etag} of pipeline ${pipeline} already ran as ${result.instanceId} (${result.runtimeStatus}); it starts nothing`,
      );
  },
});

/** Every minute: start each stored spec whose retraining schedule had an occurrence in the last minute. */
app.timer('scheduledRetraining', {
  schedule: '0 * * * * *',
  extraInputs: [client],
  handler: async (_timer: Timer, context: InvocationContext) => {
    const comp = await composition();
    const specs = await comp.specs.list();
    for (const due of dueRetraining(
      specs.map((s) => ({ name: s.name, schedule: s.spec.schedule })),
      comp.clock.now(),
    )) {
      const stored = specs.find((s) => s.name === due.name)!;
      const result = await startPipelineRun(startRunDeps(comp, context), stored, `schedule:${due.occurrence.toISOString()}`, 'schedule');
      if (result.started) context.log(`scheduled retraining of ${stored.name} started as ${result.instanceId}`);
      else if (result.reason === 'running')
        context.warn(`scheduled retraining of ${stored.name} skipped: ${result.runningInstanceId} is still running`);
      else context.log(`scheduled retraining of ${stored.name} for ${due.occurrence.toISOString()} already ran as ${result.instanceId}`);
    }
  },
});

const liveStatuses = [
  df.OrchestrationRuntimeStatus.Running,
  df.OrchestrationRuntimeStatus.Pending,
  df.OrchestrationRuntimeStatus.Suspended,
];

async function reap(context: InvocationContext) {
  const comp = await composition();
  const durable = df.getClient(context);
  const result = await reapResources({
    ledger: comp.ledger,
    compute: (kind) => comp.compute(kind),
    deployer: (kind) => comp.deployer(kind),
    registry: comp.registry,
    inventory: comp.inventory,
    now: comp.clock.now(),
    isInstanceLive: async (instanceId) => {
      const status = await durable.getStatus(instanceId).catch(() => undefined);
      return status?.runtimeStatus !== undefined && liveStatuses.includes(status.runtimeStatus);
    },
    log: (message) => context.log(message),
    runRecords: {
      open: comp.runClaims,
      store: comp.runs,
      runtimeStatus: async (instanceId) => {
        try {
          return (await durable.getStatus(instanceId, { showInput: false })).runtimeStatus;
        } catch (err) {
          // The SDK reports an unknown instance as an error naming the extension's 404; anything else is a real failure.
          if (/HTTP 404/.test((err as Error).message)) return undefined;
          throw err;
        }
      },
      terminateChildren: async (instanceId, reason) => {
        const live = await durable.getStatusBy({ runtimeStatus: liveStatuses });
        for (const child of live.filter((s) => s.instanceId?.startsWith(`${instanceId}:`)))
          await durable.terminate(child.instanceId!, reason);
      },
    },
  });
  if (result.deleted.length + result.deleting.length + result.failed.length > 0) context.log(`reaper: ${JSON.stringify(result)}`);
  // For the dashboard; the pass itself is done, so a failed write only leaves the previous pass showing.
  await recordReaperPass(comp.blobs, result, comp.clock.now()).catch((err: Error) =>
    context.warn(`reaper pass not recorded: ${err.message}`),
  );
  return result;
}

/** Every five minutes (and at start): delete what is past its expiry or owned by no live run, from the ledger and the resource group's tags. */
app.timer('resourceReaper', {
  schedule: '0 */5 * * * *',
  runOnStartup: true,
  extraInputs: [client],
  handler: async (_timer: Timer, context: InvocationContext) => {
    await reap(context);
  },
});

/** POST /api/maintenance/reap (admin key): run the reaper now. */
app.http('reapNow', {
  route: 'maintenance/reap',
  methods: ['POST'],
  authLevel: 'admin',
  extraInputs: [client],
  handler: async (_req: HttpRequest, context: InvocationContext) => ({ jsonBody: await reap(context) }),
});
