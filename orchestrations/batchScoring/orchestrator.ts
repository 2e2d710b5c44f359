import * as df from 'durable-functions';
import { OrchestrationContext, Task, TimerTask } from 'durable-functions';
import { plusSeconds } from '../../shared/domain/time';
import {
  activities,
  BatchScoringInput,
  BatchScoringStatus,
  BatchScoringSummary,
  batchScoringName,
  cancelEventName,
  PageDescriptor,
  PageListing,
  PageResult,
  Phase,
  RunContext,
  Tagged,
} from './contracts';
import { Cancelled, RunFailure, secondsBetween, transient } from '../orchestratorParts';

const maxFailureSamples = 20;

/**
 * Scores every image under a source prefix with a registered model version: lists the source in
 * pages, scores the pages (through the model's deployments with bounded concurrency, or in one
 * `batch_score` Spark batch), writes one CSV per page, then `summary.json` and a combined CSV.
 * A page whose CSV exists is never scored again, so a resumed run only does what is left.
 */
export function* batchScoring(context: OrchestrationContext): Generator<Task, BatchScoringSummary, unknown> {
  const input = context.df.getInput() as BatchScoringInput;
  const run: RunContext = { instanceId: context.df.instanceId, model: input.model, version: input.version, output: input.output };
  const startedAt = context.df.currentUtcDateTime;
  const cancel = context.df.waitForExternalEvent(cancelEventName);
  const seconds: Record<string, number> = {};
  let phaseStartedAt = startedAt;
  const status: BatchScoringStatus = {
    phase: 'listing',
    via: input.via,
    pages: { total: 0, done: 0, resumed: 0 },
    images: { scored: 0, failed: 0 },
    startedAt: startedAt.toISOString(),
    elapsedSeconds: 0,
    output: `${input.output.container}/${input.output.prefix}`,
  };
  const summary: BatchScoringSummary = {
    status: 'failed',
    model: input.model,
    version: input.version,
    via: input.via,
    source: input.source,
    output: input.output,
    labels: input.labels,
    pages: { total: 0, written: 0, resumed: 0 },
    total: 0,
    scored: 0,
    failed: 0,
    perClass: Object.fromEntries(input.labels.map((l) => [l, 0])),
    failures: [],
    seconds,
    startedAt: status.startedAt,
  };

  const publish = (): void => {
    status.elapsedSeconds = secondsBetween(startedAt, context.df.currentUtcDateTime);
    context.df.setCustomStatus(status);
  };
  const enter = (phase: Phase): void => {
    const now = context.df.currentUtcDateTime;
    seconds[status.phase] = (seconds[status.phase] ?? 0) + secondsBetween(phaseStartedAt, now);
    phaseStartedAt = now;
    status.phase = phase;
    publish();
  };
  const call = (name: string, payload: unknown): Task => context.df.callActivityWithRetry(name, transient, payload);
  function unwrap<T>(result: unknown): T {
    const tagged = result as Tagged<T>;
    if (!tagged.ok) throw new RunFailure(tagged.code, tagged.message);
    return tagged as T;
  }
  const cancelled = (): Cancelled => {
    status.cancelRequested = true;
    return new Cancelled('the run was cancelled');
  };
  /**
   * The first of `tasks` to complete, unless the run is cancelled first. A cancel that arrived
   * while nothing raced it completed an earlier `Task.any`, and a new one would not see it: so it is checked first.
   */
  function* firstOrCancel(tasks: Task[]): Generator<Task, Task, unknown> {
    if (cancel.isCompleted) throw cancelled();
    const winner = (yield context.df.Task.any([...tasks, cancel])) as Task;
    if (winner === cancel) throw cancelled();
    return winner;
  }
  function* orCancel(task: Task): Generator<Task, unknown, unknown> {
    return (yield* firstOrCancel([task])).result;
  }
  function* wait(secondsToWait: number): Generator<Task, void, unknown> {
    const timer: TimerTask = context.df.createTimer(plusSeconds(context.df.currentUtcDateTime, secondsToWait));
    try {
      yield* orCancel(timer);
    } catch (err) {
      timer.cancel();
      throw err;
    }
  }
  const record = (page: PageResult): void => {
    summary.pages.written += page.resumed ? 0 : 1;
    summary.pages.resumed += page.resumed ? 1 : 0;
    summary.total += page.rows;
    summary.scored += page.scored;
    summary.failed += page.failed;
    for (const [label, count] of Object.entries(page.perClass)) summary.perClass[label] = (summary.perClass[label] ?? 0) + count;
    for (const failure of page.failures) if (summary.failures.length < maxFailureSamples) summary.failures.push(failure);
    status.pages.done++;
    status.pages.resumed = summary.pages.resumed;
    status.images = { scored: summary.scored, failed: summary.failed };
    publish();
  };

  let cluster: { cluster: string; ledgerId: string } | undefined;
  const pages: PageDescriptor[] = [];
  publish();
  try {
    let continuation: string | undefined;
    do {
      const listing = (yield* orCancel(
        call(activities.listPages, { source: input.source, pageSize: input.pageSize, continuation, firstIndex: pages.length }),
      )) as PageListing;
      pages.push(...listing.pages);
      status.pages.total = pages.length;
      publish();
      continuation = listing.next;
    } while (continuation);
    summary.pages.total = pages.length;
    if (pages.length === 0)
      throw new RunFailure('SOURCE.EMPTY', `no blobs under ${input.source.container}/${input.source.prefix} to score`);

    if (input.via === 'scorer') {
      enter('scoring');
      yield* scoreThroughScorer();
    } else {
      enter('provisioning');
      cluster = yield* provision();
      enter('scoring');
      yield* scoreOnSpark(cluster.cluster);
    }
    summary.status = 'succeeded';
  } catch (err) {
    if (err instanceof Cancelled) {
      summary.status = 'cancelled';
      summary.error = { code: 'RUN.CANCELLED', message: err.message };
    } else {
      summary.error =
        err instanceof RunFailure ? { code: err.code, message: err.message } : { code: 'RUN.FAILED', message: (err as Error).message };
    }
  } finally {
    enter('summarizing');
    if (cluster) yield* tearDown(cluster);
    summary.endedAt = context.df.currentUtcDateTime.toISOString();
    seconds.total = secondsBetween(startedAt, context.df.currentUtcDateTime);
    yield call(activities.writeSummary, { run, summary, pages: pages.map((p) => p.index) });
    enter('done');
  }
  return summary;

  /**
   * Pages in waves of `concurrency`, each wave one `Task.all` of tasks yielded once. A sliding
   * window (`Task.any` over tasks yielded before) would be better packed, but the SDK schedules
   * such tasks again (azure-functions-durable-js#574), which would score pages twice.
   */
  function* scoreThroughScorer(): Generator<Task, void, unknown> {
    for (let at = 0; at < pages.length; at += input.concurrency) {
      const wave = context.df.Task.all(
        pages
          .slice(at, at + input.concurrency)
          .map((page) => call(activities.scorePage, { run, source: input.source, page, pageSize: input.pageSize, labels: input.labels })),
      );
      const done = yield* firstOrCancel([wave]);
      if (done.isFaulted) throw new RunFailure('SCORE.PAGE_FAILED', (done.result as Error | undefined)?.message ?? 'a page failed');
      (done.result as unknown[]).forEach((result) => record(unwrap<PageResult>(result)));
    }
  }

  function* provision(): Generator<Task, { cluster: string; ledgerId: string }, unknown> {
    const created = unwrap<{ cluster: string; ledgerId: string }>(
      yield call(activities.beginCluster, {
        run,
        target: input.compute.target,
        maxLifetimeMinutes: input.compute.maxLifetimeMinutes,
        now: context.df.currentUtcDateTime.toISOString(),
      }),
    );
    cluster = created;
    const by = context.df.currentUtcDateTime.getTime() + input.compute.timeoutMinutes * 60_000;
    for (;;) {
      const state = (yield call(activities.getClusterState, { target: input.compute.target, cluster: created.cluster })) as {
        state: string;
        error?: string;
      };
      if (state.state === 'running') return created;
      if (state.state !== 'creating') throw new RunFailure('COMPUTE.CREATE_FAILED', state.error ?? `the cluster is ${state.state}`);
      if (context.df.currentUtcDateTime.getTime() > by)
        throw new RunFailure('COMPUTE.CREATE_TIMEOUT', `the cluster was not running within ${input.compute.timeoutMinutes} minutes`);
      yield* wait(input.pollSeconds);
    }
  }

  /** One batch for the whole run (see README: a batch's start-up dwarfs a page), then its rows become page files. */
  function* scoreOnSpark(name: string): Generator<Task, void, unknown> {
    const target = input.compute.target;
    const { batchId } = unwrap<{ batchId: string }>(
      yield call(activities.submitSparkBatch, { run, target, cluster: name, source: input.source, packageUri: input.packageUri }),
    );
    const by = context.df.currentUtcDateTime.getTime() + input.compute.timeoutMinutes * 60_000;
    for (;;) {
      yield* wait(input.pollSeconds);
      const state = (yield call(activities.getSparkBatchState, { target, cluster: name, batchId })) as { state: string; log?: string };
      if (state.state === 'success') break;
      if (state.state !== 'starting' && state.state !== 'running')
        throw new RunFailure('SPARK.BATCH_FAILED', state.log ?? `the batch ended ${state.state}`);
      if (context.df.currentUtcDateTime.getTime() > by)
        throw new RunFailure('SPARK.TIMEOUT', `the batch did not finish within ${input.compute.timeoutMinutes} minutes`);
    }
    const written = unwrap<{ pages: PageResult[] }>(
      yield call(activities.writeSparkPages, { run, source: input.source, pages, pageSize: input.pageSize, labels: input.labels }),
    );
    written.pages.forEach(record);
  }

  function* tearDown(created: { cluster: string; ledgerId: string }): Generator<Task, void, unknown> {
    const by = context.df.currentUtcDateTime.getTime() + 30 * 60_000;
    for (;;) {
      const result = (yield call(activities.tearDownCluster, { target: input.compute.target, ...created })) as { deleted: boolean };
      // The reaper deletes the cluster past its expiry if deletion never completes here.
      if (result.deleted || context.df.currentUtcDateTime.getTime() > by) return;
      yield context.df.createTimer(plusSeconds(context.df.currentUtcDateTime, input.pollSeconds));
    }
  }
}

df.app.orchestration(batchScoringName, batchScoring);
