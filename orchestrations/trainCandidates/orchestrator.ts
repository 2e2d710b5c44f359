import * as df from 'durable-functions';
import { OrchestrationContext, Task } from 'durable-functions';
import { Candidate } from '../../shared/domain/candidateGrid';
import { planTrainingBatches, TrainingBatchPlan } from '../../shared/domain/trainingBatches';
import { CancelWatch } from '../durable/cancellation';
import { DurableCalls } from '../durable/calls';
import { failure, Tagged } from '../durable/contract';
import { errorOf, isCancellation, RunFailure } from '../durable/failures';
import { pollUntil } from '../durable/pollUntil';
import {
  CandidateOutcome,
  TrainInput,
  trainActivities as act,
  trainCandidatesOrchestration,
  TrainProgress,
  TrainResult,
} from './contracts';

interface Job {
  plan: TrainingBatchPlan;
  batchId: string;
  submittedAt: number;
  /** Candidates of the batch not settled yet. */
  pending: Candidate[];
}

const live = (state: string): boolean => state === 'starting' || state === 'running';

/**
 * Trains the grid in the batches `planTrainingBatches` chooses: one application per featurizer's
 * grid (its candidates recorded one by one as their outputs appear), or one per candidate, the
 * first of each featurizer alone so that it computes the features the others reuse. Batches take
 * `parallelism` of the `maxConcurrent` slots. One candidate failing does not fail the others; a
 * cancel kills what runs and closes the open candidates.
 */
export function* trainCandidates(context: OrchestrationContext): Generator<Task, Tagged<TrainResult>, unknown> {
  const input = context.df.getInput() as TrainInput;
  const cancel = new CancelWatch(context);
  const calls = new DurableCalls(context, cancel);
  const { run, cluster } = input;
  const progress: TrainProgress = { total: input.candidates.length, done: 0, failed: 0, running: 0 };
  const outcomes: CandidateOutcome[] = [];
  const batchIds: string[] = [];
  const queue = planTrainingBatches(input.candidates, input);
  /** A tabular run planned as one batch runs its ETL in that batch's application; more batches share one ETL batch first. */
  const etlInBatch = input.etlFirst && queue.length === 1;
  const warmed = new Set<string>();
  let running: Job[] = [];
  const timeoutSeconds = input.candidateTimeoutMinutes * 60;
  const costPerHour = input.computeCostPerHour / Math.max(1, input.maxConcurrent);
  const settle = (outcome: CandidateOutcome, job?: Job): void => {
    outcomes.push(outcome);
    if (outcome.ok) progress.done++;
    else progress.failed++;
    if (job) {
      warmed.add(job.plan.featurizer);
      job.pending = job.pending.filter((c) => c.id !== outcome.candidateId);
    }
  };
  const now = (): number => context.df.currentUtcDateTime.getTime();
  const endCode = (state: string): string => (state === 'killed' ? 'LIVY.BATCH_KILLED' : 'LIVY.BATCH_DEAD');

  function* runEtl(): Generator<Task, void, unknown> {
    const { batchId } = yield* calls.call(act.submitEtl, { run, cluster });
    batchIds.push(batchId);
    const etl = yield* pollUntil(context, { timeoutSeconds, intervalSeconds: input.pollSeconds, cancel, waitFirst: true }, function* () {
      const batch = yield* calls.call(act.getBatchState, { cluster, batchId });
      if (batch.state === 'success') return true;
      if (!live(batch.state)) throw new RunFailure('ETL.FAILED', batch.log ?? `the ETL batch ended ${batch.state}`);
      return undefined;
    });
    if (!etl.done) throw new RunFailure('ETL.TIMEOUT', `the ETL batch did not finish within ${input.candidateTimeoutMinutes} minutes`);
  }

  /** Settles a one-candidate batch; true while it still runs. */
  function* checkCandidate(job: Job, batch: { state: string; log?: string }): Generator<Task, boolean, unknown> {
    const [candidate] = job.pending;
    const ref = { run, cluster, candidate, batchId: job.batchId };
    const overdue = now() - job.submittedAt > timeoutSeconds * 1000;
    if (live(batch.state) && !overdue) return true;
    if (live(batch.state)) {
      const message = `no result within ${input.candidateTimeoutMinutes} minutes`;
      yield* calls.call(act.recordCandidateFailure, { ...ref, code: 'TRAIN.TIMEOUT', message, kill: true });
      settle({ candidateId: candidate.id, ok: false, code: 'TRAIN.TIMEOUT' }, job);
    } else if (batch.state === 'success') {
      const collected = yield* calls.attempt(act.collectCandidate, { ...ref, costPerHour });
      settle({ candidateId: candidate.id, ok: collected.ok, code: collected.ok ? undefined : collected.code }, job);
    } else {
      const code = endCode(batch.state);
      yield* calls.call(act.recordCandidateFailure, { ...ref, code, message: batch.log ?? `the batch ended ${batch.state}`, kill: false });
      settle({ candidateId: candidate.id, ok: false, code }, job);
    }
    return false;
  }

  /** Records the grid's finished candidates; once the batch ends (or overruns) fails those it left. True while it still runs. */
  function* checkGrid(job: Job, batch: { state: string; log?: string }): Generator<Task, boolean, unknown> {
    const ref = { run, cluster, batchId: job.batchId };
    if (batch.state !== 'starting') {
      const { settled } = yield* calls.call(act.collectGrid, { ...ref, candidates: job.pending, costPerHour });
      for (const outcome of settled) settle(outcome, job);
    }
    const overdue = now() - job.submittedAt > job.plan.timeoutMinutes * 60_000;
    if (job.pending.length === 0 || (live(batch.state) && !overdue)) return job.pending.length > 0;
    const [code, message] = live(batch.state)
      ? ['TRAIN.TIMEOUT', `no result within the grid's ${job.plan.timeoutMinutes} minutes`]
      : batch.state === 'success'
        ? ['TRAIN.NO_OUTPUT', 'the grid batch succeeded but left no _SUCCESS or _FAILED for the candidate']
        : [endCode(batch.state), batch.log ?? `the batch ended ${batch.state}`];
    const left = job.pending;
    yield* calls.call(act.recordGridFailure, { ...ref, candidates: left, code, message, kill: live(batch.state) });
    for (const candidate of left) settle({ candidateId: candidate.id, ok: false, code }, job);
    return false;
  }

  function* checkRunning(): Generator<Task, void, unknown> {
    const states = yield* calls.all(
      act.getBatchState,
      running.map((job) => ({ cluster, batchId: job.batchId })),
    );
    const stillRunning: Job[] = [];
    for (const [i, job] of running.entries()) {
      const batch = states[i].ok ? states[i] : { state: 'dead', log: states[i].message };
      const runs = job.plan.mode === 'grid' ? yield* checkGrid(job, batch) : yield* checkCandidate(job, batch);
      if (runs) stillRunning.push(job);
    }
    running = stillRunning;
  }

  function* submit(plan: TrainingBatchPlan): Generator<Task, Tagged<{ batchId: string }>, unknown> {
    const etl = etlInBatch;
    if (plan.mode === 'candidate') return yield* calls.attempt(act.submitCandidate, { run, cluster, candidate: plan.candidates[0], etl });
    const { featurizer, candidates, parallelism } = plan;
    return yield* calls.attempt(act.submitGrid, { run, cluster, featurizer, candidates, parallelism, etl });
  }

  function* submitReady(): Generator<Task, void, unknown> {
    for (;;) {
      const free = input.maxConcurrent - running.reduce((slots, job) => slots + job.plan.parallelism, 0);
      const next = queue.findIndex(
        (p) => p.parallelism <= free && (warmed.has(p.featurizer) || !running.some((r) => r.plan.featurizer === p.featurizer)),
      );
      if (next < 0) return;
      const [plan] = queue.splice(next, 1);
      const submitted = yield* submit(plan);
      if (!submitted.ok) {
        for (const candidate of plan.candidates) settle({ candidateId: candidate.id, ok: false, code: submitted.code });
        continue;
      }
      running.push({ plan, batchId: submitted.batchId, submittedAt: now(), pending: plan.candidates });
      batchIds.push(submitted.batchId);
    }
  }

  try {
    context.df.setCustomStatus(progress);
    if (input.etlFirst && !etlInBatch) yield* runEtl();
    const trained = yield* pollUntil(
      context,
      { timeoutSeconds: timeoutSeconds * (input.candidates.length + 1), intervalSeconds: input.pollSeconds, cancel },
      function* () {
        yield* checkRunning();
        yield* submitReady();
        progress.running = running.reduce((candidates, job) => candidates + job.pending.length, 0);
        context.df.setCustomStatus(progress);
        return running.length === 0 && queue.length === 0 ? true : undefined;
      },
    );
    if (!trained.done) throw new RunFailure('TRAIN.TIMEOUT', 'the candidates did not finish in time');
    return { ok: true, outcomes, batchIds };
  } catch (err) {
    const { code, message } = errorOf(err);
    const status = isCancellation(err) ? 'cancelled' : 'failed';
    yield* calls.call(act.abandonCandidates, { run, cluster, batchIds: running.map((j) => j.batchId), status, code, message });
    progress.running = 0;
    context.df.setCustomStatus(progress);
    return failure(code, message);
  }
}

df.app.orchestration(trainCandidatesOrchestration.name, trainCandidates);
