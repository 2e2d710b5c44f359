import { defaultPrices } from '../../shared/domain/cost';
import { pipelineInstanceId } from '../../shared/domain/naming';
import { PipelineInput, trainingPipelineName } from '../../shared/domain/pipelineRun';
import { validatePipelineSpec } from '../../shared/domain/pipelineSpec';
import { CanopyError } from '../../shared/errors';
import { OrchestrationClient, OrchestrationRuntimeStatus } from '../../shared/ports/orchestrationClient';
import { PipelineClaim, RunClaims } from '../../shared/ports/runClaims';
import { requireValidSpec, startPipelineRun, StartRunDeps } from '../../shared/usecases/startRun';

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

let tokens = 0;

/** The claims port in memory: one holder per pipeline, replaced only when `canReplace` says so. */
function memoryClaims(): RunClaims {
  const holders = new Map<string, PipelineClaim>();
  return {
    async claim(pipeline, wanted, canReplace) {
      const current = holders.get(pipeline);
      if (current && current.token !== wanted.token && !(await canReplace(current))) return current;
      holders.set(pipeline, wanted);
      return wanted;
    },
    listRunningRuns: async () => [],
  };
}

/** A durable client over an in-memory set of instances; unknown ids fail the way the SDK reports the extension's 404. */
function clientWith(instances: Record<string, OrchestrationRuntimeStatus>, statusFailure?: Error) {
  const started: { name: string; instanceId: string; input: unknown }[] = [];
  const client: OrchestrationClient = {
    getStatusBy: async () =>
      Object.entries(instances)
        .filter(([, s]) => ['Running', 'Pending'].includes(s))
        .map(([instanceId, runtimeStatus]) => ({ instanceId, runtimeStatus })),
    getStatus: async (instanceId: string) => {
      if (statusFailure) throw statusFailure;
      const runtimeStatus = instances[instanceId];
      if (!runtimeStatus)
        throw new Error(`DurableClient error: Durable Functions extension replied with HTTP 404 response. ... ${instanceId}.`);
      return { instanceId, runtimeStatus };
    },
    startNew: async (name, options) => {
      started.push({ name, ...options });
      return options.instanceId;
    },
  };
  const deps: StartRunDeps = {
    orchestrations: client,
    claims: memoryClaims(),
    newToken: () => `token-${(tokens += 1)}`,
    now: () => new Date('2026-11-22T00:00:00.000Z'),
    prices: defaultPrices,
    pollSeconds: 30,
  };
  return { deps, started, startedIds: () => started.map((s) => s.instanceId) };
}

describe('startPipelineRun', () => {
  const id = pipelineInstanceId('fashion', 'blob:0x1');

  it('starts a data version the task hub has never seen, with the input the orchestration expects', async () => {
    const { deps, started } = clientWith({});
    expect(await startPipelineRun(deps, stored, 'blob:0x1', 'blob')).toEqual({ started: true, instanceId: id });
    const input: PipelineInput = {
      pipeline: 'fashion',
      specVersion: 3,
      spec: stored.spec,
      dataVersion: 'blob:0x1',
      trigger: 'blob',
      pollSeconds: 30,
      // The spec's compute is the local one: it bills the run nothing.
      computeCostPerHour: 0,
      computeNodes: 0,
    };
    expect(started).toEqual([{ name: trainingPipelineName, instanceId: id, input }]);
  });

  it.each<OrchestrationRuntimeStatus>(['Completed', 'Failed', 'Terminated'])(
    'starts nothing for a data version that already ran (%s): its history is not replaced',
    async (status) => {
      const { deps, startedIds } = clientWith({ [id]: status });
      expect(await startPipelineRun(deps, stored, 'blob:0x1', 'blob')).toEqual({
        started: false,
        reason: 'already-ran',
        instanceId: id,
        runtimeStatus: status,
      });
      expect(startedIds()).toEqual([]);
    },
  );

  it('names the run in progress rather than starting a second one', async () => {
    const running = pipelineInstanceId('fashion', 'blob:0x0');
    const { deps, startedIds } = clientWith({ [running]: 'Running' });
    expect(await startPipelineRun(deps, stored, 'blob:0x1', 'blob')).toEqual({
      started: false,
      reason: 'running',
      runningInstanceId: running,
    });
    expect(startedIds()).toEqual([]);
  });

  it('fails, starting nothing, when the task hub cannot say whether the data version ran', async () => {
    const { deps, startedIds } = clientWith({}, new Error('DurableClient error: the extension replied with HTTP 500'));
    await expect(startPipelineRun(deps, stored, 'blob:0x1', 'blob')).rejects.toThrow(/HTTP 500/);
    expect(startedIds()).toEqual([]);
  });
});

describe('requireValidSpec', () => {
  it('refuses a spec permanently with SPEC.INVALID, listing every problem', () => {
    let refusal: unknown;
    try {
      requireValidSpec({ name: 'Not A Name', scenario: 'none' });
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeInstanceOf(CanopyError);
    expect(refusal).toMatchObject({ code: 'SPEC.INVALID', transient: false });
    expect(((refusal as CanopyError).details?.problems as string[]).length).toBeGreaterThan(1);
  });

  it('returns a valid spec with its defaults', () => {
    expect(requireValidSpec(stored.spec)).toEqual(stored.spec);
  });
});
