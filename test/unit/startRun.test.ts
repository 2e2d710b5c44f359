import { DurableClient, DurableOrchestrationStatus, OrchestrationRuntimeStatus } from 'durable-functions';
import { Composition } from '../../shared/composition';
import { defaultPrices } from '../../shared/domain/cost';
import { pipelineInstanceId } from '../../shared/domain/naming';
import { validatePipelineSpec } from '../../shared/domain/pipelineSpec';
import { startPipelineRun } from '../../functions/lib/startRun';

const validated = validatePipelineSpec(
  {
    name: 'fashion',
    scenario: 'image-classification',
    data: { source: { container: 'canopy-landing', prefix: 'fashion/' } },
    candidates: { classifiers: [{ type: 'logistic_regression' }] },
  },
  () => 1,
);
if (!validated.ok) throw new Error(JSON.stringify(validated.problems));
const stored = { name: 'fashion', version: 3, spec: validated.spec, createdAt: '2026-11-22T00:00:00.000Z' };
const comp = { config: { pollSeconds: 30 }, prices: defaultPrices } as unknown as Composition;

/** A durable client over an in-memory set of instances; unknown ids fail the way the SDK reports the extension's 404. */
function clientWith(instances: Record<string, OrchestrationRuntimeStatus>, statusFailure?: Error) {
  const started: string[] = [];
  const client = {
    started,
    getStatusBy: async () =>
      Object.entries(instances)
        .filter(([, s]) => [OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Pending].includes(s))
        .map(([instanceId, runtimeStatus]) => ({ instanceId, runtimeStatus }) as DurableOrchestrationStatus),
    getStatus: async (instanceId: string) => {
      if (statusFailure) throw statusFailure;
      const runtimeStatus = instances[instanceId];
      if (!runtimeStatus)
        throw new Error(`DurableClient error: Durable Functions extension replied with HTTP 404 response. ... ${instanceId}.`);
      return { instanceId, runtimeStatus } as DurableOrchestrationStatus;
    },
    startNew: async (_name: string, options: { instanceId: string }) => {
      started.push(options.instanceId);
      return options.instanceId;
    },
  };
  return client as unknown as DurableClient & { started: string[] };
}

describe('startPipelineRun', () => {
  const id = pipelineInstanceId('fashion', 'blob:0x1');

  it('starts a data version the task hub has never seen', async () => {
    const client = clientWith({});
    expect(await startPipelineRun(client, comp, stored, 'blob:0x1', 'blob')).toEqual({ started: true, instanceId: id });
    expect(client.started).toEqual([id]);
  });

  it.each([OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated])(
    'starts nothing for a data version that already ran (%s): its history is not replaced',
    async (status) => {
      const client = clientWith({ [id]: status });
      expect(await startPipelineRun(client, comp, stored, 'blob:0x1', 'blob')).toEqual({
        started: false,
        reason: 'already-ran',
        instanceId: id,
        runtimeStatus: status,
      });
      expect(client.started).toEqual([]);
    },
  );

  it('names the run in progress rather than starting a second one', async () => {
    const running = pipelineInstanceId('fashion', 'blob:0x0');
    const client = clientWith({ [running]: OrchestrationRuntimeStatus.Running });
    expect(await startPipelineRun(client, comp, stored, 'blob:0x1', 'blob')).toEqual({
      started: false,
      reason: 'running',
      runningInstanceId: running,
    });
    expect(client.started).toEqual([]);
  });

  it('fails, starting nothing, when the task hub cannot say whether the data version ran', async () => {
    const client = clientWith({}, new Error('DurableClient error: the extension replied with HTTP 500'));
    await expect(startPipelineRun(client, comp, stored, 'blob:0x1', 'blob')).rejects.toThrow(/HTTP 500/);
    expect(client.started).toEqual([]);
  });
});
