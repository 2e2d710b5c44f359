import { forwardCancel } from '../../../orchestrations/durable/cancellation';
import { deployActivities, deployModelOrchestration } from '../../../orchestrations/deployModel/contracts';
import { provisionActivities, provisionClusterOrchestration } from '../../../orchestrations/provisionCluster/contracts';
import { teardownActivities, teardownClusterOrchestration } from '../../../orchestrations/teardownCluster/contracts';
import { trainActivities, trainCandidatesOrchestration } from '../../../orchestrations/trainCandidates/contracts';
import { PipelineInput, pipelineActivities, PipelineSummary } from '../../../orchestrations/trainingPipeline/contracts';
import { trainingPipeline } from '../../../orchestrations/trainingPipeline/orchestrator';
import { candidateGrid } from '../../../shared/domain/candidateGrid';
import { clusterName } from '../../../shared/domain/naming';
import { permanent, transientError } from '../../../shared/errors';
import { EventTrigger, replay, ReplayOptions, ReplayResult, Responder } from '../../support/orchestrationReplay';
import {
  at,
  bestCandidate,
  callsTo,
  childId,
  childOrchestrators,
  endpoint,
  hosted,
  namesOf,
  pipelineInput,
  pipelineResponders,
  refuse,
  registeredModel,
  run,
  runId,
  stagesOf,
  startAt,
} from './pipelineFixture';

interface RunCase {
  input?: PipelineInput;
  activities?: Record<string, Responder>;
  subOrchestrators?: ReplayOptions['subOrchestrators'];
  events?: EventTrigger[];
}

function runPipeline(overrides: RunCase = {}): Promise<ReplayResult<PipelineSummary>> {
  return replay(trainingPipeline, {
    input: overrides.input ?? pipelineInput(),
    instanceId: runId,
    startAt,
    activities: { ...pipelineResponders(), ...overrides.activities },
    subOrchestrators: { ...childOrchestrators, ...overrides.subOrchestrators },
    events: overrides.events,
  });
}

const recordedEnd = (result: ReplayResult): { summary: PipelineSummary; costUsd: number; nodeMinutes: number; endedAt: string } => {
  const ends = callsTo(result.calls, pipelineActivities.recordRunEnd);
  expect(ends).toHaveLength(1);
  return ends[0].input;
};

const childNames = (result: ReplayResult): string[] => Object.keys(result.children);

/** The run ended as `code` says, recorded that, and tore down what it had. */
function expectEndedWith(result: ReplayResult<PipelineSummary>, pipelineStatus: PipelineSummary['pipelineStatus'], code: string): void {
  expect(result.status).toBe('completed');
  expect(result.output).toMatchObject({ pipelineStatus, error: { code } });
  expect(recordedEnd(result).summary).toEqual(result.output);
  expect(result.customStatus).toMatchObject({ stage: 'done' });
}

function expectTornDown(result: ReplayResult<PipelineSummary>): void {
  expect(result.children[childId(teardownClusterOrchestration)]).toMatchObject({
    status: 'completed',
    output: { ok: true, tornDown: true },
  });
  expect(callsTo(result.calls, teardownActivities.beginDeleteCluster)).toHaveLength(1);
  expect(result.output?.tornDown).toBe(true);
  // Teardown comes last, after every other child ended.
  expect(childNames(result).at(-1)).toBe(childId(teardownClusterOrchestration));
}

describe('trainingPipeline', () => {
  it('runs validate → provision → copy → train → select → register → deploy → teardown, recording each stage and the cost', async () => {
    const input = pipelineInput();
    const result = await runPipeline({ input });

    expect(result.error).toBeUndefined();
    expect(result.status).toBe('completed');
    expect(stagesOf(result.customStatuses)).toEqual([
      'validate',
      'provision',
      'copy',
      'train',
      'select',
      'register',
      'deploy',
      'teardown',
      'done',
    ]);
    // The cluster came up after one 30 s poll; the two candidates trained in one grid batch that took two polls.
    const stageSeconds = { validate: 0, provision: 30, copy: 0, train: 60, select: 0, register: 0, deploy: 0, teardown: 0 };
    expect(result.output).toEqual<PipelineSummary>({
      pipelineStatus: 'succeeded',
      candidates: { total: 2, succeeded: 2, failed: 0 },
      best: bestCandidate,
      decision: { promoted: true, reason: 'better than production', modelVersion: 3 },
      deployed: { name: 'canopy-fashion-demo-v3', endpoint, scoredLabel: 'Sneaker' },
      tornDown: true,
      stageSeconds,
    });

    expect(callsTo(result.calls, pipelineActivities.recordRunStart).map((c) => c.input)).toEqual([
      { run, dataVersion: 'd-1', trigger: 'http', startedAt: at(0), candidates: 2 },
    ]);
    const progress = callsTo(result.calls, pipelineActivities.recordRunProgress).map((c) => c.input);
    expect(progress.map((p) => p.stage)).toEqual(['provision', 'copy', 'train', 'select', 'register', 'deploy', 'teardown']);
    expect(progress.every((p) => p.run.instanceId === runId)).toBe(true);
    // Compute bills from provisioning on: 30 s at the copy, 90 s once trained, at 1.2 USD/h and 3 nodes.
    expect(progress.map((p) => p.costUsd)).toEqual([0, 0.01, 0.01, 0.03, 0.03, 0.03, 0.03]);
    expect(progress.find((p) => p.stage === 'select')).toMatchObject({
      candidates: { total: 2, succeeded: 2, failed: 0 },
      nodeMinutes: 4.5,
    });

    expect(recordedEnd(result)).toEqual({ run, summary: result.output, endedAt: at(90), costUsd: 0.03, nodeMinutes: 4.5 });
    expect(result.calls.at(-1)?.name).toBe(pipelineActivities.recordRunEnd.name);

    expect(Object.values(result.children).map((c) => [c.instanceId, c.status])).toEqual([
      [childId(provisionClusterOrchestration), 'completed'],
      [childId(trainCandidatesOrchestration), 'completed'],
      [childId(deployModelOrchestration), 'completed'],
      [childId(teardownClusterOrchestration), 'completed'],
    ]);
    const cluster = { target: 'local-spark', name: clusterName(runId), ledgerId: `cluster:local-spark:${clusterName(runId)}`, owned: true };
    expect(callsTo(result.calls, provisionActivities.beginCreateCluster)[0].input).toMatchObject({
      owner: { pipeline: 'fashion-demo', instanceId: runId, purpose: 'training' },
      cluster,
      size: { headVmSize: 'Standard_D12_v2', workerVmSize: 'Standard_D4_v2', workerNodes: 2 },
      expiresAt: at(180 * 60),
    });
    const grid = candidateGrid(input.spec);
    expect(callsTo(result.calls, trainActivities.submitGrid).map((c) => c.input)).toEqual([
      { run, cluster, featurizer: 'squeezenet1.1', candidates: grid, parallelism: 2, etl: false },
    ]);
    expect(callsTo(result.calls, trainActivities.submitEtl)).toEqual([]);
    expect(callsTo(result.calls, deployActivities.beginDeploy)[0].input).toEqual({ run, model: expect.objectContaining(registeredModel) });
    expect(callsTo(result.calls, teardownActivities.beginDeleteCluster)[0].input).toEqual({
      cluster,
      batchIds: ['b-grid-squeezenet1.1'],
    });
    expect(callsTo(result.calls, teardownActivities.markTornDown)).toHaveLength(1);
    expect(callsTo(result.calls, forwardCancel)).toEqual([]);
    // The copy pages went on from the continuation, and the counts reached the status.
    expect(callsTo(result.calls, pipelineActivities.copyDataPage).map((c) => c.input.continuation)).toEqual([undefined, 'page-2']);
    expect(result.customStatus).toMatchObject({
      copy: { copied: 20, skipped: 2, failed: 0 },
      candidates: { done: 2, failed: 0, running: 0 },
    });
  });

  it('names the child it waits on in its status while the child runs', async () => {
    const result = await runPipeline();
    const active = result.customStatuses.map((s) => (s as { activeChild?: string }).activeChild).filter((a) => a !== undefined);
    expect([...new Set(active)]).toEqual([
      childId(provisionClusterOrchestration),
      childId(trainCandidatesOrchestration),
      childId(deployModelOrchestration),
      childId(teardownClusterOrchestration),
    ]);
  });

  it('registers but does not deploy a model that is not promoted', async () => {
    const result = await runPipeline({
      activities: {
        [pipelineActivities.selectModel.name]: () => ({
          ok: true,
          best: bestCandidate,
          promote: false,
          reason: 'not better than production',
        }),
      },
    });

    expect(result.output).toMatchObject({
      pipelineStatus: 'succeeded',
      decision: { promoted: false, reason: 'not better than production', modelVersion: 3 },
      tornDown: true,
    });
    expect(result.output?.deployed).toBeUndefined();
    expect(childNames(result)).not.toContain(childId(deployModelOrchestration));
    expect(stagesOf(result.customStatuses)).toEqual(['validate', 'provision', 'copy', 'train', 'select', 'register', 'teardown', 'done']);
    expect(callsTo(result.calls, pipelineActivities.registerModel)).toHaveLength(1);
  });

  it('runs the ETL inside the grid application for a tabular scenario', async () => {
    const result = await runPipeline({ input: pipelineInput({ scenario: 'tabular-classification' }) });

    expect(result.output?.pipelineStatus).toBe('succeeded');
    const [firstCall] = result.children[childId(trainCandidatesOrchestration)].calls;
    expect([firstCall.name, firstCall.input.etl]).toEqual([trainActivities.submitGrid.name, true]);
    expect(callsTo(result.calls, teardownActivities.beginDeleteCluster)[0].input.batchIds).toEqual(['b-grid-tabular']);
  });

  it('only checks an attached cluster and never deletes it', async () => {
    const result = await runPipeline({ input: pipelineInput({ compute: { target: 'hdinsight', existingCluster: 'shared-cluster' } }) });

    expect(result.output).toMatchObject({ pipelineStatus: 'succeeded', tornDown: true });
    const attached = { target: 'hdinsight', name: 'shared-cluster', ledgerId: 'cluster:hdinsight:shared-cluster', owned: false };
    expect(callsTo(result.calls, provisionActivities.beginCreateCluster)[0].input.cluster).toEqual(attached);
    expect(callsTo(result.calls, provisionActivities.getClusterState)[0].input.cluster).toEqual(attached);
    expect(result.children[childId(teardownClusterOrchestration)].output).toEqual({ ok: true, tornDown: true });
    expect(callsTo(result.calls, teardownActivities.beginDeleteCluster)).toEqual([]);
    expect(callsTo(result.calls, teardownActivities.keepUntilExpiry)).toEqual([]);
  });

  describe('keep-on-failure', () => {
    const input = pipelineInput({ teardown: { policy: 'keep-on-failure' } });

    it('keeps the cluster of a failed run until its expiry', async () => {
      const result = await runPipeline({ input, activities: { [pipelineActivities.selectModel.name]: refuse('SELECT.NO_METRICS') } });

      expectEndedWith(result, 'failed', 'SELECT.NO_METRICS');
      expect(result.output?.tornDown).toBe(false);
      expect(callsTo(result.calls, teardownActivities.keepUntilExpiry)).toHaveLength(1);
      expect(callsTo(result.calls, teardownActivities.beginDeleteCluster)).toEqual([]);
    });

    it('still deletes the cluster of a run that succeeded or was cancelled', async () => {
      const succeeded = await runPipeline({ input });
      const cancelled = await runPipeline({ input, events: [{ name: 'cancel', afterActivity: pipelineActivities.copyDataPage.name }] });

      expect(succeeded.output).toMatchObject({ pipelineStatus: 'succeeded', tornDown: true });
      expect(cancelled.output).toMatchObject({ pipelineStatus: 'cancelled', tornDown: true });
      for (const result of [succeeded, cancelled]) {
        expect(callsTo(result.calls, teardownActivities.keepUntilExpiry)).toEqual([]);
        expect(callsTo(result.calls, teardownActivities.beginDeleteCluster)).toHaveLength(1);
      }
    });
  });

  describe('a failure at each stage ends the run with its code and still tears down', () => {
    it('validate: a tagged failure from the input check, before anything was provisioned', async () => {
      const result = await runPipeline({ activities: { [pipelineActivities.checkInputData.name]: refuse('DATA.EMPTY', 'no blobs') } });

      expectEndedWith(result, 'failed', 'DATA.EMPTY');
      expect(result.output?.error).toEqual({ code: 'DATA.EMPTY', message: 'no blobs' });
      expect(callsTo(result.calls, pipelineActivities.checkInputData)).toHaveLength(1);
      // Nothing was created, so there is nothing to tear down.
      expect(result.children).toEqual({});
      expect(result.output?.tornDown).toBe(true);
      expect(stagesOf(result.customStatuses)).toEqual(['validate', 'teardown', 'done']);
    });

    it.each(['ARM.FORBIDDEN', 'ARM.QUOTA_EXCEEDED'])('provision: %s from the create, on its first attempt', async (code) => {
      const result = await runPipeline({
        activities: {
          [provisionActivities.beginCreateCluster.name]: hosted(() => {
            throw permanent(code, `the create was refused (${code})`);
          }),
        },
      });

      expectEndedWith(result, 'failed', code);
      const creates = callsTo(result.calls, provisionActivities.beginCreateCluster);
      expect(creates.map((c) => c.attempt)).toEqual([1]);
      expect(result.children[childId(provisionClusterOrchestration)].output).toMatchObject({ ok: false, code });
      expect(callsTo(result.calls, pipelineActivities.copyDataPage)).toEqual([]);
      expectTornDown(result);
    });

    it('copy: a page with blobs that failed to copy', async () => {
      const result = await runPipeline({
        activities: {
          [pipelineActivities.copyDataPage.name]: () => ({
            ok: true,
            copied: 8,
            skipped: 0,
            failed: 2,
            failures: ['a.png', 'b.png'],
            next: 'page-2',
          }),
        },
      });

      expectEndedWith(result, 'failed', 'DATA.COPY_FAILED');
      expect(result.output?.error?.message).toBe('2 blobs could not be copied: a.png, b.png');
      // The page is copied once more before the run gives up; both attempts reported 8 copies here.
      const pages = callsTo(result.calls, pipelineActivities.copyDataPage);
      expect(pages.map((c) => c.input)).toEqual([pages[0].input, pages[0].input]);
      expect(result.customStatus).toMatchObject({ copy: { copied: 16, skipped: 0, failed: 2 } });
      expect(childNames(result)).not.toContain(childId(trainCandidatesOrchestration));
      expectTornDown(result);
    });

    it('copy: a page whose failed blobs copy on the second try goes on, counting each blob once', async () => {
      const attempts: unknown[] = [];
      const result = await runPipeline({
        activities: {
          [pipelineActivities.copyDataPage.name]: (input) => {
            attempts.push(input);
            return attempts.length === 1
              ? { ok: true, copied: 8, skipped: 1, failed: 2, failures: ['a.png (500 InternalError)', 'b.png (ECONNRESET)'] }
              : { ok: true, copied: 2, skipped: 9, failed: 0, failures: [] };
          },
        },
      });

      expect(result.output?.pipelineStatus).toBe('succeeded');
      expect(attempts).toHaveLength(2);
      expect(result.customStatus).toMatchObject({ copy: { copied: 10, skipped: 1, failed: 0 } });
    });

    it('train: every candidate failed', async () => {
      const result = await runPipeline({
        activities: { [trainActivities.getBatchState.name]: () => ({ ok: true, state: 'dead', log: 'OOM' }) },
      });

      expectEndedWith(result, 'failed', 'TRAIN.ALL_FAILED');
      expect(result.output?.candidates).toEqual({ total: 2, succeeded: 0, failed: 2 });
      expect(callsTo(result.calls, pipelineActivities.selectModel)).toEqual([]);
      expectTornDown(result);
      // Teardown still gets every batch the training submitted, to kill what may live on.
      expect(callsTo(result.calls, teardownActivities.beginDeleteCluster)[0].input.batchIds).toEqual(['b-grid-squeezenet1.1']);
      expect(callsTo(result.calls, trainActivities.recordGridFailure).map((c) => [c.input.code, c.input.message])).toEqual([
        ['LIVY.BATCH_DEAD', 'OOM'],
      ]);
    });

    it('select: a tagged failure', async () => {
      const result = await runPipeline({ activities: { [pipelineActivities.selectModel.name]: refuse('SELECT.NO_METRICS') } });

      expectEndedWith(result, 'failed', 'SELECT.NO_METRICS');
      expect(result.output).toMatchObject({ candidates: { total: 2, succeeded: 2, failed: 0 } });
      expect(callsTo(result.calls, pipelineActivities.registerModel)).toEqual([]);
      expectTornDown(result);
    });

    it('register: a tagged failure', async () => {
      const result = await runPipeline({ activities: { [pipelineActivities.registerModel.name]: refuse('REGISTRY.CONFLICT') } });

      expectEndedWith(result, 'failed', 'REGISTRY.CONFLICT');
      expect(result.output?.best).toEqual(bestCandidate);
      expect(result.output?.decision).toBeUndefined();
      expect(childNames(result)).not.toContain(childId(deployModelOrchestration));
      expectTornDown(result);
    });

    it('deploy: the deployment failed', async () => {
      const result = await runPipeline({
        activities: { [deployActivities.getDeploymentState.name]: () => ({ ok: true, state: 'failed', error: 'image pull failed' }) },
      });

      expectEndedWith(result, 'failed', 'DEPLOY.FAILED');
      expect(result.output?.error?.message).toBe('image pull failed');
      expect(result.output?.decision).toMatchObject({ promoted: true, modelVersion: 3 });
      expect(result.output?.deployed).toBeUndefined();
      expect(callsTo(result.calls, deployActivities.deleteDeployment)).toHaveLength(1);
      expectTornDown(result);
    });

    it('a child that crashes (its orchestration failed) ends the run as RUN.FAILED', async () => {
      const result = await runPipeline({
        subOrchestrators: {
          [provisionClusterOrchestration.name]: () => {
            throw new Error('orchestrator bug');
          },
        },
      });

      expectEndedWith(result, 'failed', 'RUN.FAILED');
      expect(result.output?.error?.message).toContain('provisionCluster failed: ');
      expect(result.output?.error?.message).toContain('orchestrator bug');
      expectTornDown(result);
    });
  });

  describe('transient faults', () => {
    it('retries a transient fault with back-off and goes on', async () => {
      const result = await runPipeline({
        activities: {
          [pipelineActivities.checkInputData.name]: hosted((_input, call) => {
            if (call.attempt < 3) throw transientError('STORE.THROTTLED', 'throttled');
            return { ok: true, blobs: 20 };
          }),
        },
      });

      expect(result.output?.pipelineStatus).toBe('succeeded');
      expect(callsTo(result.calls, pipelineActivities.checkInputData).map((c) => [c.attempt, c.ok, c.at])).toEqual([
        [1, false, at(0)],
        [2, false, at(2)],
        [3, true, at(6)],
      ]);
      expect(result.timers.filter((t) => t.retry).map((t) => t.fireAt)).toEqual([at(2), at(6)]);
    });

    it('fails the run as RUN.FAILED once the retries are spent, and still tears down', async () => {
      const result = await runPipeline({
        activities: {
          [pipelineActivities.copyDataPage.name]: hosted(() => {
            throw transientError('STORE.THROTTLED', 'throttled');
          }),
        },
      });

      expectEndedWith(result, 'failed', 'RUN.FAILED');
      expect(callsTo(result.calls, pipelineActivities.copyDataPage).map((c) => c.attempt)).toEqual([1, 2, 3, 4, 5]);
      expectTornDown(result);
    });

    it('goes on when the run document cannot record a stage', async () => {
      const result = await runPipeline({
        activities: {
          [pipelineActivities.recordRunProgress.name]: hosted(() => {
            throw transientError('COSMOS.THROTTLED', 'throttled');
          }),
        },
      });

      expect(result.output?.pipelineStatus).toBe('succeeded');
      // Five attempts at each of the seven stage changes, each given up.
      expect(callsTo(result.calls, pipelineActivities.recordRunProgress)).toHaveLength(35);
      expect(recordedEnd(result).summary.pipelineStatus).toBe('succeeded');
    });

    it('fails outright when the run cannot even be recorded as started', async () => {
      const result = await runPipeline({ activities: { [pipelineActivities.recordRunStart.name]: refuse('COSMOS.FORBIDDEN') } });

      expect(result.status).toBe('failed');
      expect(result.error?.message).toContain('refused: COSMOS.FORBIDDEN');
      expect(namesOf(result.calls)).toEqual([pipelineActivities.recordRunStart.name]);
    });
  });

  describe('cancel', () => {
    function expectCancelled(result: ReplayResult<PipelineSummary>): void {
      expectEndedWith(result, 'cancelled', 'RUN.CANCELLED');
      expect(result.customStatus).toMatchObject({ cancelRequested: true });
      expectTornDown(result);
    }

    function expectForwardedTo(result: ReplayResult<PipelineSummary>, child: { name: string }): void {
      expect(callsTo(result.calls, forwardCancel).map((c) => c.input)).toEqual([{ instanceId: childId(child) }]);
      expect(result.children[childId(child)]).toMatchObject({ status: 'completed', output: { ok: false, code: 'RUN.CANCELLED' } });
      expect(result.events.map((e) => [e.instanceId, e.name])).toEqual([
        [runId, 'cancel'],
        [childId(child), 'cancel'],
      ]);
    }

    it('before any child: the run never starts provisioning, and tears down what it may have begun', async () => {
      const result = await runPipeline({ events: [{ name: 'cancel', afterActivity: pipelineActivities.checkInputData.name }] });

      expectCancelled(result);
      expect(childNames(result)).toEqual([childId(teardownClusterOrchestration)]);
      expect(callsTo(result.calls, provisionActivities.beginCreateCluster)).toEqual([]);
      expect(callsTo(result.calls, forwardCancel)).toEqual([]);
    });

    it('while provisioning: forwarded to the child, whose wait it interrupts', async () => {
      const result = await runPipeline({ events: [{ name: 'cancel', afterActivity: provisionActivities.getClusterState.name }] });

      expectCancelled(result);
      expectForwardedTo(result, provisionClusterOrchestration);
      const provisioning = result.children[childId(provisionClusterOrchestration)];
      expect(provisioning.timers).toEqual([expect.objectContaining({ fired: false, cancelled: true })]);
      expect(callsTo(result.calls, pipelineActivities.copyDataPage)).toEqual([]);
    });

    it('between copy pages: no further page is copied', async () => {
      const threePages: Responder = (_input, call) => ({
        ok: true,
        copied: 1,
        skipped: 0,
        failed: 0,
        failures: [],
        next: `page-${call.nth + 1}`,
      });
      const result = await runPipeline({
        activities: { [pipelineActivities.copyDataPage.name]: threePages },
        events: [{ name: 'cancel', afterActivity: pipelineActivities.copyDataPage.name }],
      });

      expectCancelled(result);
      // The cancel came while page 2 was copied; page 3 was never asked for.
      expect(callsTo(result.calls, pipelineActivities.copyDataPage)).toHaveLength(2);
      expect(childNames(result)).not.toContain(childId(trainCandidatesOrchestration));
    });

    it('while training: forwarded to the child, which abandons its running candidates', async () => {
      const result = await runPipeline({ events: [{ name: 'cancel', afterActivity: trainActivities.submitGrid.name }] });

      expectCancelled(result);
      expectForwardedTo(result, trainCandidatesOrchestration);
      const abandoned = callsTo(result.calls, trainActivities.abandonCandidates);
      expect(abandoned).toHaveLength(1);
      expect(abandoned[0].input).toMatchObject({ status: 'cancelled', code: 'RUN.CANCELLED' });
      expect(abandoned[0].input.batchIds).toHaveLength(1);
      expect(callsTo(result.calls, pipelineActivities.selectModel)).toEqual([]);
    });

    it('while deploying: forwarded to the child, which deletes the new deployment', async () => {
      const result = await runPipeline({
        activities: { [deployActivities.getDeploymentState.name]: () => ({ ok: true, state: 'creating' }) },
        events: [{ name: 'cancel', afterActivity: deployActivities.getDeploymentState.name }],
      });

      expectCancelled(result);
      expectForwardedTo(result, deployModelOrchestration);
      expect(callsTo(result.calls, deployActivities.deleteDeployment)).toHaveLength(1);
      expect(callsTo(result.calls, deployActivities.switchTraffic)).toEqual([]);
      expect(result.output?.decision).toMatchObject({ promoted: true });
    });

    it('during an activity between children: noticed before the next child starts', async () => {
      const result = await runPipeline({ events: [{ name: 'cancel', afterActivity: pipelineActivities.selectModel.name }] });

      expectCancelled(result);
      expect(childNames(result)).not.toContain(childId(deployModelOrchestration));
      expect(callsTo(result.calls, forwardCancel)).toEqual([]);
    });

    it('a child cancelled on its own cancels the run', async () => {
      const result = await runPipeline({
        events: [
          {
            name: 'cancel',
            instanceId: childId(provisionClusterOrchestration),
            afterActivity: provisionActivities.getClusterState.name,
          },
        ],
      });

      expectCancelled(result);
      expect(callsTo(result.calls, forwardCancel)).toEqual([]);
    });

    it('that comes as the child finishes: the child ends on its own and the run is still cancelled', async () => {
      // Raised after the poll that found the cluster running: the child's result is on its way to the run.
      const result = await runPipeline({
        events: [{ name: 'cancel', afterActivity: provisionActivities.getClusterState.name, nth: 2 }],
      });

      expectCancelled(result);
      expect(result.children[childId(provisionClusterOrchestration)].output).toEqual({ ok: true });
      expect(callsTo(result.calls, forwardCancel)).toHaveLength(1);
      expect(result.events.map((e) => e.instanceId)).toEqual([runId]);
    });

    it('when the child then crashes: the run is cancelled, not failed', async () => {
      const result = await runPipeline({
        subOrchestrators: {
          [provisionClusterOrchestration.name]: () => {
            throw new Error('orchestrator bug');
          },
        },
        events: [{ name: 'cancel', when: (state) => state.pendingChildren.includes(provisionClusterOrchestration.name) }],
      });

      expectCancelled(result);
      expect(callsTo(result.calls, forwardCancel)).toHaveLength(1);
    });
  });

  describe('teardown', () => {
    it('a teardown that fails does not mask the run result', async () => {
      const result = await runPipeline({ activities: { [teardownActivities.beginDeleteCluster.name]: refuse('ARM.FORBIDDEN') } });

      expect(result.output).toMatchObject({ pipelineStatus: 'succeeded', tornDown: false });
      expect(result.output?.error).toBeUndefined();
      expect(result.children[childId(teardownClusterOrchestration)].output).toMatchObject({ ok: false, code: 'ARM.FORBIDDEN' });
      expect(recordedEnd(result).summary).toMatchObject({ pipelineStatus: 'succeeded', tornDown: false });
    });

    it('a cluster that is not gone by the deadline is reported as not torn down', async () => {
      const result = await runPipeline({
        input: { ...pipelineInput(), pollSeconds: 600 },
        activities: {
          [provisionActivities.getClusterState.name]: (_input, call) => ({ ok: true, state: call.nth === 1 ? 'creating' : 'running' }),
        },
      });

      expect(result.output).toMatchObject({ pipelineStatus: 'succeeded', tornDown: false });
      expect(result.children[childId(teardownClusterOrchestration)].output).toEqual({ ok: true, tornDown: false });
      expect(callsTo(result.calls, teardownActivities.markTornDown)).toEqual([]);
    });

    it('a teardown child that crashes still lets the run record its own result', async () => {
      const result = await runPipeline({
        activities: { [pipelineActivities.selectModel.name]: refuse('SELECT.NO_METRICS') },
        subOrchestrators: {
          [teardownClusterOrchestration.name]: () => {
            throw new Error('orchestrator bug');
          },
        },
      });

      expectEndedWith(result, 'failed', 'SELECT.NO_METRICS');
      expect(result.output?.tornDown).toBe(false);
    });
  });
});
