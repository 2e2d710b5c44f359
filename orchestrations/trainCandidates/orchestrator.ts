import * as df from 'durable-functions';
import { OrchestrationContext, Task } from 'durable-functions';
import { Candidate } from '../../shared/domain/candidateGrid';
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
  candidate: Candidate;
  batchId: string;
  submittedAt: number;
}

const live = (state: string): boolean => state === 'starting' || state === 'running';

/**
 * Trains the grid with at most `maxConcurrent` batches at once; the first candidate of each
 * featurizer runs alone so that it computes the features the others reuse. One candidate failing
 * does not fail the others; a cancel kills what runs and closes the open candidates.
 */
export function* trainCandidates(context: OrchestrationContext): Generator<Task, Tagged<TrainResult>, unknown> {
  const input = context.df.getInput() as TrainInput;
  const cancel = new CancelWatch(context);
  const calls = new DurableCalls(context, cancel);
  const { run, cluster } = input;
  const progress: TrainProgress = { total: input.candidates.length, done: 0, failed: 0, running: 0 };
  const outcomes: CandidateOutcome[] = [];
  const batchIds: string[] = [];
  const queue = [...input.candidates];
  const warmed = new Set<string>();
  let running: Job[] = [];
  const timeoutSeconds = input.candidateTimeoutMinutes * 60;
  const settle = (outcome: CandidateOutcome, job?: Job): void => {
    outcomes.push(outcome);
    if (outcome.ok) progress.done++;
    else progress.failed++;
    if (job) warmed.add(job.candidate.featurizer);
  };
  const now = (): number => context.df.currentUtcDateTime.getTime();

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

  function* checkRunning(): Generator<Task, void, unknown> {
    const states = yield* calls.all(
      act.getBatchState,
      running.map((job) => ({ cluster, batchId: job.batchId })),
    );
    const stillRunning: Job[] = [];
    for (const [i, job] of running.entries()) {
      const batch = states[i].ok ? states[i] : { state: 'dead', log: states[i].message };
      const ref = { run, cluster, candidate: job.candidate, batchId: job.batchId };
      const overdue = now() - job.submittedAt > timeoutSeconds * 1000;
      if (live(batch.state) && !overdue) {
        stillRunning.push(job);
      } else if (live(batch.state)) {
        const message = `no result within ${input.candidateTimeoutMinutes} minutes`;
        yield* calls.call(act.recordCandidateFailure, { ...ref, code: 'TRAIN.TIMEOUT', message, kill: true });
        settle({ candidateId: job.candidate.id, ok: false, code: 'TRAIN.TIMEOUT' }, job);
      } else if (batch.state === 'success') {
        const collected = yield* calls.attempt(act.collectCandidate, {
          ...ref,
          costPerHour: input.computeCostPerHour / Math.max(1, input.maxConcurrent),
        });
        settle({ candidateId: job.candidate.id, ok: collected.ok, code: collected.ok ? undefined : collected.code }, job);
      } else {
        const code = batch.state === 'killed' ? 'LIVY.BATCH_KILLED' : 'LIVY.BATCH_DEAD';
        yield* calls.call(act.recordCandidateFailure, {
          ...ref,
          code,
          message: batch.log ?? `the batch ended ${batch.state}`,
          kill: false,
        });
        settle({ candidateId: job.candidate.id, ok: false, code }, job);
      }
    }
    running = stillRunning;
  }

  function* submitReady(): Generator<Task, void, unknown> {
    while (running.length < input.maxConcurrent) {
      const next = queue.findIndex((c) => warmed.has(c.featurizer) || !running.some((r) => r.candidate.featurizer === c.featurizer));
      if (next < 0) return;
      const [candidate] = queue.splice(next, 1);
      const submitted = yield* calls.attempt(act.submitCandidate, { run, cluster, candidate });
      if (!submitted.ok) {
        settle({ candidateId: candidate.id, ok: false, code: submitted.code });
        continue;
      }
      running.push({ candidate, batchId: submitted.batchId, submittedAt: now() });
      batchIds.push(submitted.batchId);
    }
  }

  try {
    context.df.setCustomStatus(progress);
    if (input.etlFirst) yield* runEtl();
    const trained = yield* pollUntil(
      context,
      { timeoutSeconds: timeoutSeconds * (input.candidates.length + 1), intervalSeconds: input.pollSeconds, cancel },
      function* () {
        yield* checkRunning();
        yield* submitReady();
        progress.running = running.length;
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
