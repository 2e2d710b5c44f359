import * as df from 'durable-functions';
import { OrchestrationContext, Task, TimerTask } from 'durable-functions';
import { Candidate, candidateGrid } from '../../shared/domain/candidateGrid';
import { millisecondsOf, plusSeconds } from '../../shared/domain/time';
import {
  activities,
  cancelEventName,
  CandidateJob,
  CandidateOutcome,
  CopyPageResult,
  DeploymentHandle,
  PipelineInput,
  PipelineStatus,
  PipelineSummary,
  ProvisionResult,
  RegisteredModel,
  RunContext,
  SelectionResult,
  Stage,
  Tagged,
  trainingPipelineName,
} from './contracts';
import { Cancelled, RunFailure, secondsBetween, transient } from '../orchestratorParts';

/**
 * One pipeline run: validate, provision, copy, train the candidate grid, select, register,
 * deploy — and tear the compute down in `finally`, whatever happened. Cancel is the external
 * event `cancel`, raced against every wait so that the `finally` runs.
 */
export function* trainingPipeline(context: OrchestrationContext): Generator<Task, PipelineSummary, unknown> {
  const input = context.df.getInput() as PipelineInput;
  const run: RunContext = { pipeline: input.pipeline, instanceId: context.df.instanceId, spec: input.spec };
  const startedAt = context.df.currentUtcDateTime;
  const grid = candidateGrid(input.spec);
  const cancel = context.df.waitForExternalEvent(cancelEventName);
  const stageSeconds: Record<string, number> = {};
  let stageStartedAt = startedAt;
  let computeSince: Date | undefined;
  const status: PipelineStatus = {
    stage: 'validate',
    candidates: { total: grid.length, done: 0, failed: 0, running: 0 },
    startedAt: startedAt.toISOString(),
    elapsedSeconds: 0,
    estimatedCostUsd: 0,
    nodeMinutes: 0,
  };
  const summary: PipelineSummary = {
    pipelineStatus: 'failed',
    candidates: { total: grid.length, succeeded: 0, failed: 0 },
    tornDown: false,
    stageSeconds,
  };

  const publish = (): void => {
    const now = context.df.currentUtcDateTime;
    status.elapsedSeconds = secondsBetween(startedAt, now);
    const computeSeconds = computeSince ? secondsBetween(computeSince, now) : 0;
    status.estimatedCostUsd = Math.round(((input.computeCostPerHour * computeSeconds) / 3600) * 100) / 100;
    status.nodeMinutes = Math.round(((input.computeNodes ?? 0) * computeSeconds) / 6) / 10;
    context.df.setCustomStatus(status);
  };
  const enter = (stage: Stage): void => {
    const now = context.df.currentUtcDateTime;
    stageSeconds[status.stage] = (stageSeconds[status.stage] ?? 0) + secondsBetween(stageStartedAt, now);
    stageStartedAt = now;
    status.stage = stage;
    publish();
  };
  const call = (name: string, payload: unknown): Task => context.df.callActivityWithRetry(name, transient, payload);
  function* wait(seconds: number): Generator<Task, void, unknown> {
    const cancelled = (): Cancelled => {
      status.cancelRequested = true;
      return new Cancelled('the run was cancelled');
    };
    // A cancel that arrived while an activity ran has completed the event task already, and racing a completed task
    // again is not reliable (batch scoring saw the completion go to an earlier Task.any), so it is checked first.
    if (cancel.isCompleted) throw cancelled();
    const timer: TimerTask = context.df.createTimer(plusSeconds(context.df.currentUtcDateTime, seconds));
    const winner = yield context.df.Task.any([timer, cancel]);
    if (winner === cancel) {
      timer.cancel();
      throw cancelled();
    }
  }
  function unwrap<T>(result: unknown): T {
    const tagged = result as Tagged<T>;
    if (!tagged.ok) throw new RunFailure(tagged.code, tagged.message);
    return tagged as T;
  }
  const deadline = (minutes: number): number => context.df.currentUtcDateTime.getTime() + minutes * 60_000;

  let provision: ProvisionResult | undefined;
  const jobs: CandidateJob[] = [];
  /** Every batch submitted (ETL and candidates): teardown kills them all before deleting the cluster. */
  const batchIds: string[] = [];
  yield call(activities.recordRunStart, {
    run,
    input: { ...input, spec: undefined },
    startedAt: status.startedAt,
    candidates: grid.length,
  });
  publish();
  try {
    unwrap(yield call(activities.checkInputData, run));

    enter('provision');
    provision = unwrap<ProvisionResult>(yield call(activities.beginProvision, { run, now: context.df.currentUtcDateTime.toISOString() }));
    computeSince = context.df.currentUtcDateTime;
    if (provision.error) throw new RunFailure(provision.error.code, provision.error.message);
    const provisionBy = deadline(input.spec.compute.provisionTimeoutMinutes);
    for (;;) {
      const cluster = unwrap<{ state: string; error?: string }>(
        yield call(activities.getClusterState, { run, cluster: provision.cluster }),
      );
      if (cluster.state === 'running') break;
      if (cluster.state !== 'creating') throw new RunFailure('COMPUTE.CREATE_FAILED', cluster.error ?? `the cluster is ${cluster.state}`);
      if (context.df.currentUtcDateTime.getTime() > provisionBy)
        throw new RunFailure(
          'COMPUTE.CREATE_TIMEOUT',
          `the cluster was not running within ${input.spec.compute.provisionTimeoutMinutes} minutes`,
        );
      yield* wait(input.pollSeconds);
    }

    enter('copy');
    status.copy = { copied: 0, skipped: 0, failed: 0 };
    let continuation: string | undefined;
    do {
      const page = unwrap<CopyPageResult>(yield call(activities.copyDataPage, { run, continuation }));
      status.copy.copied += page.copied;
      status.copy.skipped += page.skipped;
      status.copy.failed += page.failed;
      publish();
      if (page.failed > 0)
        throw new RunFailure('DATA.COPY_FAILED', `${page.failed} blobs could not be copied: ${page.failures.join(', ')}`);
      continuation = page.next;
    } while (continuation);

    enter('train');
    if (input.spec.scenario === 'tabular-classification') yield* prepareFeatures();
    const outcomes = yield* trainCandidates(grid);
    summary.candidates.succeeded = outcomes.filter((o) => o.ok).length;
    summary.candidates.failed = outcomes.length - summary.candidates.succeeded;
    if (summary.candidates.succeeded === 0) throw new RunFailure('TRAIN.ALL_FAILED', 'every candidate failed');

    enter('select');
    const selection = unwrap<SelectionResult>(yield call(activities.selectModel, run));
    summary.best = selection.best;

    enter('register');
    const model = unwrap<RegisteredModel>(
      yield call(activities.registerModel, { run, best: selection.best, specVersion: input.specVersion, dataVersion: input.dataVersion }),
    );
    summary.decision = { promoted: selection.promote, reason: selection.reason, modelVersion: model.version };

    if (selection.promote) {
      enter('deploy');
      summary.deployed = yield* deploy(model);
    }
    summary.pipelineStatus = 'succeeded';
  } catch (err) {
    if (err instanceof Cancelled) {
      summary.pipelineStatus = 'cancelled';
      summary.error = { code: 'RUN.CANCELLED', message: err.message };
    } else {
      summary.pipelineStatus = 'failed';
      summary.error =
        err instanceof RunFailure ? { code: err.code, message: err.message } : { code: 'RUN.FAILED', message: (err as Error).message };
    }
  } finally {
    enter('teardown');
    if (provision) {
      summary.tornDown = yield* teardown(provision);
    } else {
      summary.tornDown = true;
    }
    enter('done');
    yield call(activities.recordRunEnd, {
      run,
      summary,
      endedAt: context.df.currentUtcDateTime.toISOString(),
      costUsd: status.estimatedCostUsd,
      nodeMinutes: status.nodeMinutes,
    });
  }
  return summary;

  /** Tabular runs parse, clean and featurize the raw logs once (`workload_etl`); every candidate trains on its output. */
  function* prepareFeatures(): Generator<Task, void, unknown> {
    const etl = unwrap<{ batchId: string }>(yield call(activities.submitEtl, { run, cluster: provision?.cluster }));
    batchIds.push(etl.batchId);
    const by = deadline(input.spec.compute.candidateTimeoutMinutes);
    for (;;) {
      yield* wait(input.pollSeconds);
      const state = (yield call(activities.getCandidateState, { run, cluster: provision?.cluster, batchId: etl.batchId })) as {
        state: string;
        log?: string;
      };
      if (state.state === 'success') return;
      if (state.state !== 'starting' && state.state !== 'running')
        throw new RunFailure('ETL.FAILED', state.log ?? `the ETL batch ended ${state.state}`);
      if (context.df.currentUtcDateTime.getTime() > by)
        throw new RunFailure('ETL.TIMEOUT', `the ETL batch did not finish within ${input.spec.compute.candidateTimeoutMinutes} minutes`);
    }
  }

  /**
   * Runs the grid with at most `maxConcurrent` batches at once. The first candidate of each
   * featurizer runs alone so that it computes the features the others reuse.
   */
  function* trainCandidates(candidates: Candidate[]): Generator<Task, CandidateOutcome[], unknown> {
    const queue = [...candidates];
    const outcomes: CandidateOutcome[] = [];
    const warmed = new Set<string>();
    const limit = input.spec.candidates.maxConcurrent;
    const timeoutMs = input.spec.compute.candidateTimeoutMinutes * 60_000;
    let running: CandidateJob[] = [];
    while (queue.length > 0 || running.length > 0) {
      while (running.length < limit) {
        const next = queue.findIndex((c) => warmed.has(c.featurizer) || !running.some((r) => r.candidate.featurizer === c.featurizer));
        if (next < 0) break;
        const [candidate] = queue.splice(next, 1);
        const submitted = (yield call(activities.submitCandidate, { run, cluster: provision?.cluster, candidate })) as Tagged<{
          batchId: string;
        }>;
        if (!submitted.ok) {
          outcomes.push({ candidateId: candidate.id, ok: false, code: submitted.code });
          status.candidates.failed++;
          continue;
        }
        const job = { candidate, batchId: submitted.batchId, submittedAt: context.df.currentUtcDateTime.toISOString() };
        running.push(job);
        jobs.push(job);
      }
      status.candidates.running = running.length;
      publish();
      yield* wait(input.pollSeconds);
      const states = (yield context.df.Task.all(
        running.map((job) => call(activities.getCandidateState, { run, cluster: provision?.cluster, batchId: job.batchId })),
      )) as {
        state: string;
        log?: string;
      }[];
      const stillRunning: CandidateJob[] = [];
      for (let i = 0; i < running.length; i++) {
        const job = running[i];
        const state = states[i].state;
        const overdue = context.df.currentUtcDateTime.getTime() - millisecondsOf(job.submittedAt) > timeoutMs;
        if (state === 'starting' || state === 'running') {
          if (!overdue) {
            stillRunning.push(job);
            continue;
          }
          yield call(activities.recordCandidateFailure, {
            run,
            job,
            cluster: provision?.cluster,
            code: 'TRAIN.TIMEOUT',
            message: `no result within ${input.spec.compute.candidateTimeoutMinutes} minutes`,
            kill: true,
          });
          outcomes.push({ candidateId: job.candidate.id, ok: false, code: 'TRAIN.TIMEOUT' });
        } else if (state === 'success') {
          const collected = (yield call(activities.collectCandidate, {
            run,
            job,
            endedAt: context.df.currentUtcDateTime.toISOString(),
            costPerHour: input.computeCostPerHour,
          })) as Tagged<object>;
          outcomes.push({ candidateId: job.candidate.id, ok: collected.ok, code: collected.ok ? undefined : collected.code });
        } else {
          const code = state === 'killed' ? 'LIVY.BATCH_KILLED' : 'LIVY.BATCH_DEAD';
          yield call(activities.recordCandidateFailure, {
            run,
            job,
            cluster: provision?.cluster,
            code,
            message: states[i].log ?? `the batch ended ${state}`,
            kill: false,
          });
          outcomes.push({ candidateId: job.candidate.id, ok: false, code });
        }
        warmed.add(job.candidate.featurizer);
        const last = outcomes[outcomes.length - 1];
        if (last.ok) status.candidates.done++;
        else status.candidates.failed++;
      }
      running = stillRunning;
    }
    status.candidates.running = 0;
    publish();
    return outcomes;
  }

  function* deploy(model: RegisteredModel): Generator<Task, PipelineSummary['deployed'], unknown> {
    const handle = unwrap<DeploymentHandle>(yield call(activities.beginDeploy, { run, model }));
    try {
      const healthyBy = deadline(input.spec.deployment.healthTimeoutMinutes);
      let endpoint = '';
      for (;;) {
        const state = unwrap<{ state: string; endpoint?: string; error?: string }>(
          yield call(activities.getDeploymentState, { run, name: handle.name }),
        );
        if (state.state === 'running' && state.endpoint) {
          endpoint = state.endpoint;
          break;
        }
        if (state.state === 'failed') throw new RunFailure('DEPLOY.FAILED', state.error ?? 'the deployment failed');
        if (context.df.currentUtcDateTime.getTime() > healthyBy)
          throw new RunFailure(
            'DEPLOY.UNHEALTHY',
            `the deployment was not healthy within ${input.spec.deployment.healthTimeoutMinutes} minutes`,
          );
        yield* wait(Math.min(input.pollSeconds, 5));
      }
      const smoke = unwrap<{ label: string }>(yield call(activities.smokeTestDeployment, { run, endpoint }));
      const switched = unwrap<{ canary: boolean }>(yield call(activities.switchTraffic, { run, model, name: handle.name, endpoint }));
      // After a promotion the versions older than the rollback one only cost money; a canary changes no production.
      if (!switched.canary) yield call(activities.pruneDeployments, { run, model });
      return { name: handle.name, endpoint, scoredLabel: smoke.label };
    } catch (err) {
      // A version that never served stays out of the way: the previous deployment keeps the traffic.
      yield call(activities.deleteDeployment, { run, model, name: handle.name });
      throw err;
    }
  }

  function* teardown(p: ProvisionResult): Generator<Task, boolean, unknown> {
    const keep = input.spec.teardown.policy === 'keep-on-failure' && summary.pipelineStatus === 'failed';
    if (!p.owned) return true;
    if (keep) {
      yield call(activities.keepClusterUntilExpiry, { run, ledgerId: p.ledgerId });
      return false;
    }
    yield call(activities.beginTeardown, { run, cluster: p.cluster, batchIds: [...batchIds, ...jobs.map((j) => j.batchId)] });
    const by = deadline(30);
    for (;;) {
      const cluster = unwrap<{ state: string }>(yield call(activities.getClusterState, { run, cluster: p.cluster }));
      if (cluster.state === 'deleted') break;
      // The reaper deletes the cluster past its expiry if deletion never completes here.
      if (context.df.currentUtcDateTime.getTime() > by) return false;
      yield context.df.createTimer(plusSeconds(context.df.currentUtcDateTime, input.pollSeconds));
    }
    yield call(activities.markTornDown, { run, ledgerId: p.ledgerId });
    return true;
  }
}

df.app.orchestration(trainingPipelineName, trainingPipeline);
