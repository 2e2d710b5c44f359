/**
 * What the orchestrator unit tests share: a valid pipeline input, answers from every activity of a
 * run (each test overrides the ones its case is about), and readers of a replay's records.
 */
import { failure } from '../../../orchestrations/durable/contract';
import { forwardCancel } from '../../../orchestrations/durable/cancellation';
import { ActivityContract } from '../../../orchestrations/durable/contract';
import { settleActivity } from '../../../orchestrations/hosting/registerActivities';
import { deployActivities, deployModelOrchestration } from '../../../orchestrations/deployModel/contracts';
import { deployModel } from '../../../orchestrations/deployModel/orchestrator';
import { provisionActivities, provisionClusterOrchestration } from '../../../orchestrations/provisionCluster/contracts';
import { provisionCluster } from '../../../orchestrations/provisionCluster/orchestrator';
import { teardownActivities, teardownClusterOrchestration } from '../../../orchestrations/teardownCluster/contracts';
import { teardownCluster } from '../../../orchestrations/teardownCluster/orchestrator';
import { trainActivities, trainCandidatesOrchestration } from '../../../orchestrations/trainCandidates/contracts';
import { trainCandidates } from '../../../orchestrations/trainCandidates/orchestrator';
import { PipelineInput, pipelineActivities, RunRef } from '../../../orchestrations/trainingPipeline/contracts';
import { candidateGrid } from '../../../shared/domain/candidateGrid';
import { PipelineSpec, validatePipelineSpec } from '../../../shared/domain/pipelineSpec';
import { CallRecord, Responder, ResponderCall } from '../../support/orchestrationReplay';
import { Json } from '../../support/json';

export const startAt = new Date('2026-01-01T00:00:00Z');
export const runId = 'fashion-demo--0123456789abcdef';
export const run: RunRef = { pipeline: 'fashion-demo', instanceId: runId, specVersion: 1 };

/** The ISO time `seconds` after `startAt`. */
export const at = (seconds: number): string => new Date(startAt.getTime() + seconds * 1000).toISOString();

type SpecSections = Record<string, unknown>;

const baseSpec: SpecSections = {
  name: 'fashion-demo',
  scenario: 'image-classification',
  data: { source: { container: 'landing', prefix: 'fashion/' } },
  candidates: { classifiers: [{ type: 'logistic_regression', grid: { regParam: [0.01, 0.1] } }] },
};

/** A validated spec (defaults filled in): `overrides` replace top-level fields and merge into object sections. */
export function pipelineSpec(overrides: SpecSections = {}): PipelineSpec {
  const raw: SpecSections = { ...baseSpec };
  for (const [key, value] of Object.entries(overrides)) {
    const base = raw[key];
    raw[key] = typeof base === 'object' && typeof value === 'object' && !Array.isArray(value) ? { ...base, ...value } : value;
  }
  const validated = validatePipelineSpec(raw, (spec) => candidateGrid(spec).length);
  if (!validated.ok) throw new Error(`the test spec is invalid: ${validated.problems.join('; ')}`);
  return validated.spec;
}

export function pipelineInput(specOverrides: SpecSections = {}): PipelineInput {
  return {
    pipeline: 'fashion-demo',
    specVersion: 1,
    spec: pipelineSpec(specOverrides),
    dataVersion: 'd-1',
    trigger: 'http',
    pollSeconds: 30,
    computeCostPerHour: 1.2,
    computeNodes: 3,
  };
}

export const succeed = (): object => ({ ok: true });

/** An activity's expected failure, as the host returns it. */
export const refuse =
  (code: string, message = `refused: ${code}`): Responder =>
  () =>
    failure(code, message);

/**
 * Answers as the host runs an activity: a permanent error the handler throws comes back as a
 * tagged failure with its code, a transient one fails the task (so the retry policy plays).
 */
export const hosted =
  (handler: (input: Json, call: ResponderCall) => unknown): Responder =>
  (input, call) =>
    settleActivity(
      async () => handler(input, call),
      () => undefined,
    );

/** What `durable_forwardCancel` does in the host: raise `cancel` on the child. */
export const forwardCancelResponder: Responder = (input: { instanceId: string }, call) => {
  call.raiseEvent(input.instanceId, 'cancel');
  return { ok: true };
};

export const bestCandidate = {
  candidateId: 'lr-1',
  classifier: 'logistic_regression',
  featurizer: 'squeezenet1.1',
  metric: 'accuracy',
  value: 0.91,
};
export const registeredModel = { model: 'fashion-demo', version: 3, packageUri: 'models/fashion-demo/3' };
export const endpoint = 'http://scorer.local/score';

/**
 * Plausible answers from every activity of a run: the cluster takes one poll to come up and is
 * gone as soon as its deletion begins, each batch takes one poll to succeed, the data is two pages; a run's
 * candidates (one featurizer) train as one grid batch.
 */
export function pipelineResponders(): Record<string, Responder> {
  let deleting = false;
  const batchPolls = new Map<string, number>();
  return {
    [pipelineActivities.recordRunStart.name]: succeed,
    [pipelineActivities.recordRunProgress.name]: succeed,
    [pipelineActivities.checkInputData.name]: () => ({ ok: true, blobs: 20 }),
    [pipelineActivities.copyDataPage.name]: (input: { continuation?: string }) => ({
      ok: true,
      copied: 10,
      skipped: 1,
      failed: 0,
      failures: [],
      next: input.continuation ? undefined : 'page-2',
    }),
    [pipelineActivities.selectModel.name]: () => ({ ok: true, best: bestCandidate, promote: true, reason: 'better than production' }),
    [pipelineActivities.registerModel.name]: () => ({ ok: true, ...registeredModel }),
    [pipelineActivities.recordRunEnd.name]: succeed,
    [forwardCancel.name]: forwardCancelResponder,
    [provisionActivities.beginCreateCluster.name]: succeed,
    [provisionActivities.getClusterState.name]: (_input, call) => ({
      ok: true,
      state: deleting ? 'deleted' : call.nth === 1 ? 'creating' : 'running',
    }),
    [trainActivities.submitEtl.name]: () => ({ ok: true, batchId: 'b-etl' }),
    [trainActivities.submitCandidate.name]: (input: { candidate: { id: string } }) => ({ ok: true, batchId: `b-${input.candidate.id}` }),
    [trainActivities.getBatchState.name]: (input: { batchId: string }) => {
      const polls = (batchPolls.get(input.batchId) ?? 0) + 1;
      batchPolls.set(input.batchId, polls);
      return { ok: true, state: polls === 1 ? 'running' : 'success' };
    },
    [trainActivities.collectCandidate.name]: () => ({ ok: true, accuracy: 0.9 }),
    [trainActivities.recordCandidateFailure.name]: succeed,
    [trainActivities.submitGrid.name]: (input: { featurizer: string }) => ({ ok: true, batchId: `b-grid-${input.featurizer}` }),
    // A grid's candidates all appear on its second poll, when its batch has succeeded.
    [trainActivities.collectGrid.name]: (input: { candidates: { id: string }[] }, call) => ({
      ok: true,
      settled: call.nth === 1 ? [] : input.candidates.map((c) => ({ candidateId: c.id, ok: true })),
    }),
    [trainActivities.recordGridFailure.name]: succeed,
    [trainActivities.abandonCandidates.name]: succeed,
    [deployActivities.beginDeploy.name]: () => ({ ok: true, name: 'canopy-fashion-demo-v3' }),
    [deployActivities.getDeploymentState.name]: () => ({ ok: true, state: 'running', endpoint }),
    [deployActivities.smokeTest.name]: () => ({ ok: true, label: 'Sneaker' }),
    [deployActivities.switchTraffic.name]: () => ({ ok: true, canary: false }),
    [deployActivities.pruneSuperseded.name]: () => ({ ok: true, deleted: [] }),
    [deployActivities.deleteDeployment.name]: succeed,
    [teardownActivities.beginDeleteCluster.name]: () => {
      deleting = true;
      return { ok: true };
    },
    [teardownActivities.markTornDown.name]: succeed,
    [teardownActivities.keepUntilExpiry.name]: succeed,
  };
}

/** Every child of a run, replayed as the real orchestrator. */
export const childOrchestrators = {
  [provisionClusterOrchestration.name]: provisionCluster,
  [trainCandidatesOrchestration.name]: trainCandidates,
  [deployModelOrchestration.name]: deployModel,
  [teardownClusterOrchestration.name]: teardownCluster,
};

/** A child's instance id under the run. */
export const childId = (contract: { name: string }): string => `${runId}:${contract.name}`;

export const callsTo = (calls: CallRecord[], contract: ActivityContract<unknown, unknown> | { name: string }): CallRecord[] =>
  calls.filter((c) => c.name === contract.name);

export const namesOf = (calls: CallRecord[]): string[] => calls.map((c) => c.name);

/** The stages a run's custom status went through, each once. */
export const stagesOf = (customStatuses: unknown[]): string[] =>
  customStatuses.map((s) => (s as { stage: string }).stage).filter((s, i, all) => s !== all[i - 1]);
