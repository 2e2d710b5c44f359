import { OrchestrationContext, Task } from 'durable-functions';
import { CancelWatch } from '../../../orchestrations/durable/cancellation';
import { errorOf, isCancellation, RunFailure, Cancelled } from '../../../orchestrations/durable/failures';
import { pollUntil } from '../../../orchestrations/durable/pollUntil';
import { PipelineInput, RunProgressRecord } from '../../../orchestrations/trainingPipeline/contracts';
import { RunProgress } from '../../../orchestrations/trainingPipeline/runProgress';
import { plusSeconds } from '../../../shared/domain/time';
import { replay } from '../../support/orchestrationReplay';
import { at, pipelineInput, run, stagesOf, startAt } from './pipelineFixture';

const work = (n: number): number => n;

/** Races work against the cancel twice; the cancel comes while a plain activity runs between the races. */
function* raceTwice(context: OrchestrationContext): Generator<Task, { first: boolean; second: boolean }, unknown> {
  const cancel = new CancelWatch(context);
  const first = yield* cancel.race(context.df.callActivity('work', 1));
  yield context.df.callActivity('work', 2);
  const second = yield* cancel.race(context.df.callActivity('work', 3));
  return { first, second };
}

/** Asks whether a cancel came while its very first activity ran (watched, never interrupted). */
function* checkAfterFirstActivity(context: OrchestrationContext): Generator<Task, { requested: boolean; result: unknown }, unknown> {
  const cancel = new CancelWatch(context);
  const result = yield* cancel.observe(context.df.callActivity('work', 1));
  return { requested: cancel.requested, result };
}

/** Polls `work` (which answers a number, or null for not yet) every 10 s for up to 30 s. */
function* pollWork(context: OrchestrationContext): Generator<Task, unknown, unknown> {
  const { waitFirst, cancellable } = context.df.getInput() as { waitFirst: boolean; cancellable: boolean };
  const cancel = cancellable ? new CancelWatch(context) : undefined;
  try {
    return yield* pollUntil(context, { timeoutSeconds: 30, intervalSeconds: 10, waitFirst, cancel }, function* () {
      return ((yield context.df.callActivity('work', 0)) as number | null) ?? undefined;
    });
  } catch (err) {
    return errorOf(err);
  }
}

/** Enters stages on a timeline, to show how RunProgress accounts for time and cost. */
function* progressTimeline(context: OrchestrationContext): Generator<Task, { record: RunProgressRecord; status: unknown }, unknown> {
  const progress = new RunProgress(context, context.df.getInput() as PipelineInput, 2);
  const wait = (seconds: number): Task => context.df.createTimer(plusSeconds(context.df.currentUtcDateTime, seconds));
  yield wait(30);
  progress.computeStarted();
  yield wait(60);
  progress.computeStarted();
  progress.enter('train');
  yield wait(30);
  progress.enter('select');
  progress.enter('train');
  yield wait(30);
  progress.enter('done');
  return { record: progress.record(run), status: progress.status };
}

describe('CancelWatch', () => {
  it('loses a race at once to a cancel that came before it', async () => {
    const result = await replay(raceTwice, {
      startAt,
      activities: { work },
      events: [{ name: 'cancel', afterActivity: 'work', nth: 1 }],
    });

    expect(result.output).toEqual({ first: true, second: false });
    expect(result.calls.map((c) => c.input)).toEqual([1, 2]);
  });

  it('sees a cancel that came before its first wait', async () => {
    // The orchestrators rely on this: a run cancelled while it validates must not start provisioning.
    const result = await replay(checkAfterFirstActivity, {
      startAt,
      activities: { work },
      events: [{ name: 'cancel', when: (state) => state.pendingActivities.includes('work') }],
    });

    expect(result.events.map((e) => e.name)).toEqual(['cancel']);
    // The SDK delivers an event only to a task that was yielded: observing the activity is what lets it through,
    // and the activity still finishes with its result.
    expect(result.output).toEqual({ requested: true, result: 1 });
  });
});

describe('pollUntil', () => {
  const answers =
    (...values: (number | null)[]) =>
    (_input: unknown, call: { nth: number }) =>
      values[Math.min(call.nth, values.length) - 1];

  it('polls at once, then at each interval, until a value comes', async () => {
    const result = await replay(pollWork, {
      input: { waitFirst: false, cancellable: false },
      startAt,
      activities: { work: answers(null, null, 7) },
    });

    expect(result.output).toEqual({ done: true, value: 7 });
    expect(result.calls.map((c) => c.at)).toEqual([at(0), at(10), at(20)]);
  });

  it('waits an interval before the first poll when asked to', async () => {
    const result = await replay(pollWork, { input: { waitFirst: true, cancellable: true }, startAt, activities: { work: answers(7) } });

    expect(result.output).toEqual({ done: true, value: 7 });
    expect(result.calls.map((c) => c.at)).toEqual([at(10)]);
  });

  it('gives up with done: false on the first poll past the deadline', async () => {
    const result = await replay(pollWork, { input: { waitFirst: false, cancellable: true }, startAt, activities: { work: answers(null) } });

    expect(result.output).toEqual({ done: false });
    expect(result.calls.map((c) => c.at)).toEqual([at(0), at(10), at(20), at(30), at(40)]);
  });

  it('throws Cancelled out of a cancellable wait, cancelling its timer', async () => {
    const result = await replay(pollWork, {
      input: { waitFirst: false, cancellable: true },
      startAt,
      activities: { work: answers(null) },
      events: [{ name: 'cancel', when: (state) => state.pendingTimers === 1 && state.now.getTime() === startAt.getTime() + 10_000 }],
    });

    expect(result.output).toEqual({ code: 'RUN.CANCELLED', message: 'the run was cancelled' });
    expect(result.timers.map((t) => [t.fired, t.cancelled])).toEqual([
      [true, false],
      [false, true],
    ]);
  });
});

describe('RunProgress', () => {
  it('adds up the time of a stage entered twice, and bills compute from its first start', async () => {
    const input: PipelineInput = { ...pipelineInput(), computeCostPerHour: 3.6 };
    const result = await replay(progressTimeline, { input, startAt });

    expect(result.output?.record).toEqual({
      run,
      stage: 'done',
      stageSeconds: { validate: 90, train: 60, select: 0 },
      candidates: { total: 2, succeeded: 0, failed: 0 },
      costUsd: 0.12,
      nodeMinutes: 6,
    });
    expect(result.output?.status).toMatchObject({ stage: 'done', elapsedSeconds: 150, startedAt: at(0) });
    expect(stagesOf(result.customStatuses)).toEqual(['train', 'done']);
  });

  it('counts no node-minutes for an input without compute nodes', async () => {
    const input: Partial<PipelineInput> = pipelineInput();
    delete input.computeNodes;
    const result = await replay(progressTimeline, { input, startAt });

    expect(result.output?.record).toMatchObject({ nodeMinutes: 0, costUsd: 0.04 });
  });
});

describe('failures', () => {
  it('tells a cancellation, here or reported by a child, from other failures', () => {
    expect(isCancellation(new Cancelled())).toBe(true);
    expect(isCancellation(new RunFailure('RUN.CANCELLED', 'the child was cancelled'))).toBe(true);
    expect(isCancellation(new RunFailure('DATA.EMPTY', 'no blobs'))).toBe(false);
    expect(isCancellation(new Error('boom'))).toBe(false);
  });

  it('reports any other error as RUN.FAILED', () => {
    expect(errorOf(new RunFailure('DATA.EMPTY', 'no blobs'))).toEqual({ code: 'DATA.EMPTY', message: 'no blobs' });
    expect(errorOf(new Error('boom'))).toEqual({ code: 'RUN.FAILED', message: 'boom' });
  });
});
