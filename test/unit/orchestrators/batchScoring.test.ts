import { OrchestrationContext, Task } from 'durable-functions';
import { CancellableWave } from '../../../orchestrations/batchScoring/cancellableWave';
import {
  batchScoringActivities as act,
  BatchScoringInput,
  BatchScoringStatus,
  BatchScoringSummary,
  cancelEventName,
  outputFiles,
  PageDescriptor,
  PageResult,
} from '../../../orchestrations/batchScoring/contracts';
import { batchScoring } from '../../../orchestrations/batchScoring/orchestrator';
import { DurableCalls } from '../../../orchestrations/durable/calls';
import { CancelWatch, forwardCancel } from '../../../orchestrations/durable/cancellation';
import { activity, failure } from '../../../orchestrations/durable/contract';
import { errorOf } from '../../../orchestrations/durable/failures';
import { provisionActivities, provisionClusterOrchestration } from '../../../orchestrations/provisionCluster/contracts';
import { provisionCluster } from '../../../orchestrations/provisionCluster/orchestrator';
import { teardownActivities, teardownClusterOrchestration } from '../../../orchestrations/teardownCluster/contracts';
import { teardownCluster } from '../../../orchestrations/teardownCluster/orchestrator';
import { EventType } from '../../../devhost/durable/historyEvents';
import { scoringClusterName } from '../../../shared/domain/naming';
import { transientError } from '../../../shared/errors';
import { EventTrigger, replay, ReplayOptions, ReplayResult, Responder } from '../../support/orchestrationReplay';

const runId = 'batch-0123456789abcdef0123456789abcdef';
const labels = ['cat', 'dog'];
const childId = (contract: { name: string }): string => `${runId}:${contract.name}`;
const startAt = new Date('2026-01-01T00:00:00Z');
/** The ISO time `seconds` after the run started. */
const at = (seconds: number): string => new Date(startAt.getTime() + seconds * 1000).toISOString();

// The orchestrator sees an activity's outcome as the host settles it: a permanent error comes back
// as a tagged failure, a transient one fails the task so that the retry policy plays. Answered so
// here, not through pipelineFixture's `hosted`: importing that loads every adapter (seconds per file).

/** An activity's expected failure, as the host returns it for a permanent error. */
const refuse =
  (code: string, message: string): Responder =>
  () =>
    failure(code, message);

/** A transient fault on every attempt. */
const faulting =
  (code: string, message: string): Responder =>
  () => {
    throw transientError(code, message);
  };

/** What `durable_forwardCancel` does in the host: raise `cancel` on the child. */
const forwardCancelResponder: Responder = (input: { instanceId: string }, call) => {
  call.raiseEvent(input.instanceId, cancelEventName);
  return { ok: true };
};

function scoringInput(overrides: Partial<BatchScoringInput> = {}): BatchScoringInput {
  return {
    model: 'pets',
    version: 2,
    packageUri: 'http://127.0.0.1:10000/devstoreaccount1/canopy-artifacts/models/pets/2/',
    labels,
    source: { container: 'canopy-batch', prefix: 'pets/' },
    output: { container: 'canopy-artifacts', prefix: `batch-scoring/pets/${runId}/` },
    via: 'scorer',
    pageSize: 10,
    concurrency: 2,
    compute: { target: 'local-spark', timeoutMinutes: 60, maxLifetimeMinutes: 180 },
    pollSeconds: 30,
    ...overrides,
  };
}
/** What every activity of the run gets as `run`. */
const runContext = { instanceId: runId, model: 'pets', version: 2, output: scoringInput().output };
const sparkInput = (overrides: Partial<BatchScoringInput> = {}): BatchScoringInput => scoringInput({ via: 'spark', ...overrides });

/** A page of ten images, nine scored and one failed. */
const pageResult = (index: number, overrides: Partial<PageResult> = {}): PageResult => ({
  index,
  rows: 10,
  scored: 9,
  failed: 1,
  perClass: { cat: 4, dog: 5 },
  failures: [],
  resumed: false,
  ...overrides,
});
const descriptor = (index: number): PageDescriptor => ({ index, first: `pets/${index}-0.png`, last: `pets/${index}-9.png`, count: 10 });
const pageIndex = (input: unknown): number => (input as { page: PageDescriptor }).page.index;

/** Answers every call with the next of `states`, then the last one again. */
const batchStates =
  (...states: string[]): Responder =>
  (_input, call) => ({ ok: true, state: states[Math.min(call.nth, states.length) - 1] });

/**
 * Five pages in two listings; each page scores 9 of its 10 images; the cluster is up on its second
 * poll and gone as soon as its deletion begins; the Spark batch is starting, then running, then done.
 */
function responders(): Record<string, Responder> {
  let deleting = false;
  return {
    [act.listPages.name]: (input: { continuation?: string }) =>
      input.continuation ? { ok: true, pages: [2, 3, 4].map(descriptor) } : { ok: true, pages: [0, 1].map(descriptor), next: 'listing-2' },
    [act.scorePage.name]: (input) => ({ ok: true, ...pageResult(pageIndex(input)) }),
    [act.submitSparkBatch.name]: () => ({ ok: true, batchId: 'batch-score' }),
    [act.getSparkBatchState.name]: batchStates('starting', 'running', 'success'),
    [act.writeSparkPages.name]: (input: { pageCount: number }) => ({
      ok: true,
      pages: Array.from({ length: input.pageCount }, (_, i) => pageResult(i)),
    }),
    [act.writeSummary.name]: () => ({ ok: true, combined: true }),
    [forwardCancel.name]: forwardCancelResponder,
    [provisionActivities.beginCreateCluster.name]: () => ({ ok: true }),
    [provisionActivities.getClusterState.name]: (_input, call) => ({
      ok: true,
      state: deleting ? 'deleted' : call.nth === 1 ? 'creating' : 'running',
    }),
    [teardownActivities.beginDeleteCluster.name]: () => {
      deleting = true;
      return { ok: true };
    },
    [teardownActivities.markTornDown.name]: () => ({ ok: true }),
  };
}

interface RunOverrides {
  activities?: Record<string, Responder>;
  subOrchestrators?: ReplayOptions['subOrchestrators'];
  events?: EventTrigger[];
}

function runScoring(input: BatchScoringInput, overrides: RunOverrides = {}): Promise<ReplayResult<BatchScoringSummary>> {
  return replay(batchScoring, {
    input,
    instanceId: runId,
    startAt,
    activities: { ...responders(), ...overrides.activities },
    subOrchestrators: {
      [provisionClusterOrchestration.name]: provisionCluster,
      [teardownClusterOrchestration.name]: teardownCluster,
      ...overrides.subOrchestrators,
    },
    events: overrides.events,
  });
}

const callsOf = (result: ReplayResult, contract: { name: string }) => result.calls.filter((c) => c.name === contract.name);

/** The phases the run's custom status went through, each once. */
const phasesOf = (result: ReplayResult): string[] =>
  result.customStatuses.map((s) => (s as BatchScoringStatus).phase).filter((p, i, all) => p !== all[i - 1]);

/** The pages each episode scheduled to be scored: one inner list per wave. */
function wavesOf(result: ReplayResult): number[][] {
  const waves: number[][] = [];
  let episode: number[] = [];
  for (const event of result.history) {
    if (event.EventType === EventType.OrchestratorStarted) episode = [];
    if (event.EventType === EventType.TaskScheduled && event.Name === act.scorePage.name) {
      if (episode.length === 0) waves.push(episode);
      episode.push(pageIndex(JSON.parse(event.Input as string)));
    }
  }
  return waves;
}

/** The summary `writeSummary` got, as it reached the activity. */
const writtenSummary = (result: ReplayResult): BatchScoringSummary =>
  (callsOf(result, act.writeSummary)[0].input as { summary: BatchScoringSummary }).summary;

/** The run completed with `status`, wrote the summary once, and returned what it wrote. */
function expectSummarized(result: ReplayResult<BatchScoringSummary>, status: BatchScoringSummary['status']): BatchScoringSummary {
  expect(result.status).toBe('completed');
  expect(result.output?.status).toBe(status);
  const written = callsOf(result, act.writeSummary);
  expect(written).toHaveLength(1);
  expect(written[0].input).toMatchObject({
    run: runContext,
    summary: { status },
  });
  // The returned summary also counts the time spent writing the summary (its `summarizing` phase).
  const { seconds, ...rest } = writtenSummary(result);
  expect(result.output).toMatchObject({ ...rest, seconds: expect.objectContaining(seconds) });
  expect(result.customStatus).toMatchObject({ phase: 'done' });
  return result.output as BatchScoringSummary;
}

/** The run ended `failed` with `code`, and says so in its summary. */
function expectFailedWith(result: ReplayResult<BatchScoringSummary>, code: string): BatchScoringSummary {
  const summary = expectSummarized(result, 'failed');
  expect(summary.error?.code).toBe(code);
  return summary;
}

/** Teardown ran once, as a child, deleted the run's own cluster and killed `batchIds`. */
function expectTornDown(result: ReplayResult<BatchScoringSummary>, batchIds: string[]): void {
  expect(result.children[childId(teardownClusterOrchestration)]).toMatchObject({
    status: 'completed',
    output: { ok: true, tornDown: true },
  });
  expect(callsOf(result, teardownActivities.beginDeleteCluster).map((c) => c.input)).toEqual([
    { cluster: expect.objectContaining({ name: scoringClusterName(runId), owned: true }), batchIds },
  ]);
  // Teardown comes before the summary, so the summary is the last thing the run does.
  expect(result.calls.at(-1)?.name).toBe(act.writeSummary.name);
}

/** The scorer route never creates (or tears down) a cluster. */
function expectNoCluster(result: ReplayResult): void {
  expect(result.children).toEqual({});
  expect(callsOf(result, provisionActivities.beginCreateCluster)).toEqual([]);
}

describe('batchScoring orchestrator', () => {
  describe('through the scorer', () => {
    it('scores the pages in waves of `concurrency`, each page once, writes the summary and provisions nothing', async () => {
      const result = await runScoring(scoringInput());

      const summary = expectSummarized(result, 'succeeded');
      expect(summary).toMatchObject({
        model: 'pets',
        version: 2,
        via: 'scorer',
        labels,
        pages: { total: 5, written: 5, resumed: 0 },
        total: 50,
        scored: 45,
        failed: 5,
        perClass: { cat: 20, dog: 25 },
        failures: [],
        startedAt: at(0),
        endedAt: at(0),
      });
      expect(summary.error).toBeUndefined();
      expect(wavesOf(result)).toEqual([[0, 1], [2, 3], [4]]);
      expect(callsOf(result, act.scorePage).map((c) => c.input)).toEqual(
        [0, 1, 2, 3, 4].map((i) => ({ run: runContext, source: scoringInput().source, page: descriptor(i), pageSize: 10, labels })),
      );
      expect(callsOf(result, act.listPages).map((c) => c.input)).toEqual([
        { source: scoringInput().source, pageSize: 10, firstIndex: 0 },
        { source: scoringInput().source, pageSize: 10, continuation: 'listing-2', firstIndex: 2 },
      ]);
      expect(phasesOf(result)).toEqual(['listing', 'scoring', 'summarizing', 'done']);
      expect(result.customStatus).toMatchObject({
        via: 'scorer',
        pages: { total: 5, done: 5, resumed: 0 },
        images: { scored: 45, failed: 5 },
        output: `canopy-artifacts/batch-scoring/pets/${runId}/`,
      });
      expect(result.customStatus).not.toHaveProperty('cancelRequested');
      expectNoCluster(result);
    });

    it('publishes its progress after each listing and each page', async () => {
      const result = await runScoring(scoringInput());

      const progress = result.customStatuses.map((s) => {
        const { phase, pages, images } = s as BatchScoringStatus;
        return [phase, pages.total, pages.done, images.scored];
      });
      expect(progress).toEqual([
        ['listing', 0, 0, 0],
        ['listing', 2, 0, 0],
        ['scoring', 5, 0, 0],
        ['scoring', 5, 2, 18],
        ['scoring', 5, 4, 36],
        ['summarizing', 5, 5, 45],
        ['done', 5, 5, 45],
      ]);
    });

    it('scores all the pages in one wave when `concurrency` exceeds them', async () => {
      const result = await runScoring(scoringInput({ concurrency: 16 }));

      expect(expectSummarized(result, 'succeeded').pages).toEqual({ total: 5, written: 5, resumed: 0 });
      expect(wavesOf(result)).toEqual([[0, 1, 2, 3, 4]]);
    });

    it('counts a page whose file existed as resumed, with the counts it holds, not as written', async () => {
      const result = await runScoring(scoringInput(), {
        activities: {
          [act.scorePage.name]: (input) => {
            const index = pageIndex(input);
            return { ok: true, ...pageResult(index, { resumed: index === 1 || index === 3 }) };
          },
        },
      });

      expect(expectSummarized(result, 'succeeded')).toMatchObject({
        pages: { total: 5, written: 3, resumed: 2 },
        total: 50,
        scored: 45,
      });
      expect(result.customStatus).toMatchObject({ pages: { total: 5, done: 5, resumed: 2 } });
    });

    it('adds up every class the pages report, and keeps the first 20 failures in page order', async () => {
      const failuresOf = (index: number) =>
        Array.from({ length: 6 }, (_, i) => ({ blob: `pets/${index}-${i}.png`, error: 'not an image' }));
      const result = await runScoring(scoringInput(), {
        activities: {
          [act.scorePage.name]: (input) => {
            const index = pageIndex(input);
            // A class the input's labels do not name (the package's labels changed) is counted all the same.
            const perClass: Record<string, number> = index === 4 ? { cat: 1, dog: 1, fox: 2 } : { cat: 2, dog: 2 };
            return { ok: true, ...pageResult(index, { scored: 4, failed: 6, perClass, failures: failuresOf(index) }) };
          },
        },
      });

      const summary = expectSummarized(result, 'succeeded');
      expect(summary).toMatchObject({ total: 50, scored: 20, failed: 30 });
      expect(summary.perClass).toEqual({ cat: 9, dog: 9, fox: 2 });
      expect(summary.failures).toEqual([...failuresOf(0), ...failuresOf(1), ...failuresOf(2), ...failuresOf(3).slice(0, 2)]);
    });
  });

  describe('on Spark', () => {
    it('provisions its own cluster as batch scoring, runs one batch, writes its pages and tears the cluster down', async () => {
      const result = await runScoring(sparkInput());

      const summary = expectSummarized(result, 'succeeded');
      expect(summary).toMatchObject({ via: 'spark', pages: { total: 5, written: 5, resumed: 0 }, total: 50, scored: 45, failed: 5 });
      expect(callsOf(result, provisionActivities.beginCreateCluster).map((c) => c.input)).toEqual([
        expect.objectContaining({
          owner: { pipeline: 'batch-scoring:pets', instanceId: runId, purpose: 'batch-scoring' },
          cluster: {
            target: 'local-spark',
            name: scoringClusterName(runId),
            ledgerId: `cluster:local-spark:${scoringClusterName(runId)}`,
            owned: true,
          },
          size: { headVmSize: 'Standard_D12_v2', workerVmSize: 'Standard_D4_v2', workerNodes: 2 },
        }),
      ]);
      expect(callsOf(result, act.submitSparkBatch).map((c) => c.input)).toEqual([
        {
          run: runContext,
          cluster: expect.objectContaining({ name: scoringClusterName(runId) }),
          source: scoringInput().source,
          packageUri: scoringInput().packageUri,
        },
      ]);
      // The batch is polled one interval after its submit, then every interval until it has succeeded.
      expect(callsOf(result, act.getSparkBatchState).map((c) => [c.input.batchId, c.at])).toEqual([
        ['batch-score', at(60)],
        ['batch-score', at(90)],
        ['batch-score', at(120)],
      ]);
      expect(callsOf(result, act.writeSparkPages).map((c) => c.input)).toEqual([
        { run: runContext, source: scoringInput().source, pageSize: 10, labels, pageCount: 5 },
      ]);
      expect(callsOf(result, act.scorePage)).toEqual([]);
      expectTornDown(result, ['batch-score']);
      expect(Object.keys(result.children)).toEqual([childId(provisionClusterOrchestration), childId(teardownClusterOrchestration)]);
      expect(phasesOf(result)).toEqual(['listing', 'provisioning', 'scoring', 'summarizing', 'done']);
      expect(writtenSummary(result).seconds).toEqual({ listing: 0, provisioning: 30, scoring: 90, total: 120 });
      expect(summary.seconds).toEqual({ listing: 0, provisioning: 30, scoring: 90, summarizing: 0, total: 120 });
      expect(summary.endedAt).toBe(at(120));
    });
  });

  describe('a failure at each stage ends the run with its code, summarized', () => {
    it('listing: a tagged failure of a later listing, after the pages listed so far were counted', async () => {
      const result = await runScoring(sparkInput(), {
        activities: {
          [act.listPages.name]: (input: { continuation?: string }) =>
            input.continuation
              ? failure('STORAGE.FORBIDDEN', 'the app may not list canopy-batch')
              : { ok: true, pages: [0, 1].map(descriptor), next: 'listing-2' },
        },
      });

      const summary = expectFailedWith(result, 'STORAGE.FORBIDDEN');
      expect(summary.error?.message).toBe('the app may not list canopy-batch');
      expect(summary.pages).toEqual({ total: 2, written: 0, resumed: 0 });
      expect(callsOf(result, act.listPages)).toHaveLength(2);
      expectNoCluster(result);
    });

    it('listing: a fault past its retries, as RUN.FAILED', async () => {
      const result = await runScoring(sparkInput(), {
        activities: {
          [act.listPages.name]: faulting('STORAGE.UNAVAILABLE', 'the storage account is unreachable'),
        },
      });

      const summary = expectFailedWith(result, 'RUN.FAILED');
      expect(summary.error?.message).toContain('the storage account is unreachable');
      expect(callsOf(result, act.listPages).map((c) => [c.attempt, c.at])).toEqual([
        [1, at(0)],
        [2, at(2)],
        [3, at(6)],
        [4, at(14)],
        [5, at(30)],
      ]);
      expectNoCluster(result);
    });

    it.each(['scorer', 'spark'] as const)(
      'listing: an empty source is SOURCE.EMPTY (via %s), before anything is scored or created',
      async (via) => {
        const result = await runScoring(scoringInput({ via }), { activities: { [act.listPages.name]: () => ({ ok: true, pages: [] }) } });

        expect(expectFailedWith(result, 'SOURCE.EMPTY').error?.message).toBe('no blobs under canopy-batch/pets/ to score');
        expect(callsOf(result, act.scorePage)).toEqual([]);
        expectNoCluster(result);
        expect(phasesOf(result)).toEqual(['listing', 'summarizing', 'done']);
      },
    );

    it("scorer: a page's tagged failure ends the run with its code, and no further wave starts", async () => {
      const result = await runScoring(scoringInput(), {
        activities: { [act.scorePage.name]: refuse('SCORE.NO_DEPLOYMENT', 'version 2 of pets has no healthy deployment') },
      });

      expect(expectFailedWith(result, 'SCORE.NO_DEPLOYMENT').error).toEqual({
        code: 'SCORE.NO_DEPLOYMENT',
        message: 'version 2 of pets has no healthy deployment',
      });
      expect(wavesOf(result)).toEqual([[0, 1]]);
      expectNoCluster(result);
    });

    it('scorer: a page that keeps faulting past its retries ends the run as SCORE.PAGE_FAILED, and no further wave starts', async () => {
      const result = await runScoring(scoringInput(), {
        activities: {
          [act.scorePage.name]: (input) => {
            if (pageIndex(input) === 1) throw transientError('SCORE.FAILED', 'every deployment refused the connection');
            return { ok: true, ...pageResult(pageIndex(input)) };
          },
        },
      });

      const summary = expectFailedWith(result, 'SCORE.PAGE_FAILED');
      expect(summary.error?.message).toContain('every deployment refused the connection');
      expect(callsOf(result, act.scorePage).map((c) => [pageIndex(c.input), c.attempt])).toEqual([
        [0, 1],
        [1, 1],
        [1, 2],
        [1, 3],
        [1, 4],
        [1, 5],
      ]);
      expect(result.endedAt.toISOString()).toBe(at(30));
      expectNoCluster(result);
    });

    it('provision: ARM.QUOTA_EXCEEDED from the create, asked once; nothing is submitted and the cluster is torn down', async () => {
      const result = await runScoring(sparkInput(), {
        activities: {
          [provisionActivities.beginCreateCluster.name]: refuse('ARM.QUOTA_EXCEEDED', 'the subscription has no cores left in westeurope'),
        },
      });

      expect(expectFailedWith(result, 'ARM.QUOTA_EXCEEDED').error?.message).toBe('the subscription has no cores left in westeurope');
      expect(callsOf(result, provisionActivities.beginCreateCluster).map((c) => c.attempt)).toEqual([1]);
      expect(callsOf(result, act.submitSparkBatch)).toEqual([]);
      expectTornDown(result, []);
    });

    it('provision: a child that crashes ends the run as RUN.FAILED, and the cluster is torn down', async () => {
      const result = await runScoring(sparkInput(), {
        subOrchestrators: {
          [provisionClusterOrchestration.name]: () => {
            throw new Error('orchestrator bug');
          },
        },
      });

      expect(expectFailedWith(result, 'RUN.FAILED').error?.message).toContain('provisionCluster failed: ');
      expect(callsOf(result, act.submitSparkBatch)).toEqual([]);
      expectTornDown(result, []);
    });

    it('submit: a refused batch; nothing is polled and the cluster is torn down with no batch to kill', async () => {
      const result = await runScoring(sparkInput(), {
        activities: { [act.submitSparkBatch.name]: refuse('SPARK.SUBMIT_FAILED', 'Livy refused the batch') },
      });

      expect(expectFailedWith(result, 'SPARK.SUBMIT_FAILED').error?.message).toBe('Livy refused the batch');
      expect(callsOf(result, act.getSparkBatchState)).toEqual([]);
      expectTornDown(result, []);
    });

    it.each([
      ['dead', 'java.lang.OutOfMemoryError', 'java.lang.OutOfMemoryError'],
      ['killed', undefined, 'the batch ended killed'],
    ])('batch: %s (log %s), as SPARK.BATCH_FAILED; the cluster is torn down, killing the batch', async (state, log, message) => {
      const result = await runScoring(sparkInput(), {
        activities: { [act.getSparkBatchState.name]: () => ({ ok: true, state, log }) },
      });

      expect(expectFailedWith(result, 'SPARK.BATCH_FAILED').error).toEqual({ code: 'SPARK.BATCH_FAILED', message });
      expect(callsOf(result, act.getSparkBatchState)).toHaveLength(1);
      expect(callsOf(result, act.writeSparkPages)).toEqual([]);
      expectTornDown(result, ['batch-score']);
    });

    it('batch: still running past `compute.timeoutMinutes`, as SPARK.TIMEOUT; teardown kills it', async () => {
      const result = await runScoring(sparkInput({ compute: { target: 'local-spark', timeoutMinutes: 1, maxLifetimeMinutes: 180 } }), {
        activities: { [act.getSparkBatchState.name]: batchStates('running') },
      });

      expect(expectFailedWith(result, 'SPARK.TIMEOUT').error?.message).toBe('the batch did not finish within 1 minutes');
      // Scoring began at 30 s (the cluster took one poll), so its deadline was 90 s: the poll after it gives up.
      expect(callsOf(result, act.getSparkBatchState).map((c) => c.at)).toEqual([at(60), at(90), at(120)]);
      expect(callsOf(result, act.writeSparkPages)).toEqual([]);
      expectTornDown(result, ['batch-score']);
    });

    it("pages: the batch's output cannot be split into pages; the cluster is torn down", async () => {
      const result = await runScoring(sparkInput(), {
        activities: { [act.writeSparkPages.name]: refuse('SPARK.NO_OUTPUT', 'the batch_score job succeeded but left no predictions') },
      });

      const summary = expectFailedWith(result, 'SPARK.NO_OUTPUT');
      expect(summary.pages).toEqual({ total: 5, written: 0, resumed: 0 });
      expectTornDown(result, ['batch-score']);
    });

    it.each([
      ['scorer', scoringInput()],
      ['spark', sparkInput()],
    ])('summary (via %s): the instance fails when the summary cannot be written, any teardown done first', async (_via, input) => {
      const result = await runScoring(input, {
        activities: { [act.writeSummary.name]: refuse('STORAGE.FORBIDDEN', 'the app may not write canopy-artifacts') },
      });

      expect(result.status).toBe('failed');
      expect(result.error?.message).toContain('the app may not write canopy-artifacts');
      expect(callsOf(result, act.writeSummary)).toHaveLength(1);
      expect(result.customStatus).toMatchObject({ phase: 'summarizing' });
      if (input.via === 'spark') expectTornDown(result, ['batch-score']);
      else expectNoCluster(result);
    });

    it('teardown: a cluster that cannot be deleted leaves the outcome as it was (the reaper deletes it at its expiry)', async () => {
      const result = await runScoring(sparkInput(), {
        activities: { [teardownActivities.beginDeleteCluster.name]: refuse('ARM.FORBIDDEN', 'the app may not delete the cluster') },
      });

      expectSummarized(result, 'succeeded');
      expect(result.children[childId(teardownClusterOrchestration)].output).toMatchObject({ ok: false, code: 'ARM.FORBIDDEN' });
    });
  });

  describe('cancel (the `cancel` event) ends the run as cancelled, summarized', () => {
    /** Cancelled, and the cancel forwarded to the children named (to none by default). */
    function expectCancelled(result: ReplayResult<BatchScoringSummary>, forwardedTo: string[] = []): BatchScoringSummary {
      const summary = expectSummarized(result, 'cancelled');
      expect(summary.error).toEqual({ code: 'RUN.CANCELLED', message: 'the run was cancelled' });
      expect(result.customStatus).toMatchObject({ cancelRequested: true });
      expect(callsOf(result, forwardCancel).map((c) => c.input.instanceId)).toEqual(forwardedTo);
      return summary;
    }
    const cancelWhile = (activityName: string): EventTrigger => ({
      name: cancelEventName,
      when: (s) => s.pendingActivities.includes(activityName),
    });

    it.each(['scorer', 'spark'] as const)('while the first listing runs (via %s): nothing is scored or created', async (via) => {
      const result = await runScoring(scoringInput({ via }), { events: [cancelWhile(act.listPages.name)] });

      const summary = expectCancelled(result);
      expect(summary.pages.total).toBe(0);
      // The listing was already under way, so it ran; its pages were not waited for.
      expect(callsOf(result, act.listPages)).toHaveLength(1);
      expect(callsOf(result, act.scorePage)).toEqual([]);
      expectNoCluster(result);
    });

    it('while a later listing runs: the pages listed so far are counted, none is scored', async () => {
      const result = await runScoring(scoringInput(), { events: [{ name: cancelEventName, afterActivity: act.listPages.name }] });

      expect(expectCancelled(result).pages).toEqual({ total: 2, written: 0, resumed: 0 });
      expect(callsOf(result, act.listPages)).toHaveLength(2);
      expect(callsOf(result, act.scorePage)).toEqual([]);
    });

    it('while a wave of pages is scored: no further wave starts and no cluster is involved', async () => {
      const result = await runScoring(scoringInput(), { events: [{ name: cancelEventName, afterActivity: act.scorePage.name }] });

      expect(expectCancelled(result).pages.written).toBe(0);
      expect(wavesOf(result)).toEqual([[0, 1]]);
      expectNoCluster(result);
    });

    it('between waves: the wave just started is not waited for, and none after it starts', async () => {
      const result = await runScoring(scoringInput(), { events: [{ name: cancelEventName, afterActivity: act.scorePage.name, nth: 2 }] });

      const summary = expectCancelled(result);
      expect(summary).toMatchObject({ pages: { total: 5, written: 2, resumed: 0 }, scored: 18 });
      expect(wavesOf(result)).toEqual([
        [0, 1],
        [2, 3],
      ]);
    });

    it('while provisioning: forwarded to the child, nothing is submitted, then the cluster is torn down', async () => {
      const result = await runScoring(sparkInput(), {
        events: [{ name: cancelEventName, afterActivity: provisionActivities.getClusterState.name }],
      });

      expectCancelled(result, [childId(provisionClusterOrchestration)]);
      expect(result.children[childId(provisionClusterOrchestration)]).toMatchObject({ output: { ok: false, code: 'RUN.CANCELLED' } });
      expect(callsOf(result, act.submitSparkBatch)).toEqual([]);
      expectTornDown(result, []);
    });

    it('while the batch is submitted: the submit completes, no poll follows, and teardown kills the batch', async () => {
      const result = await runScoring(sparkInput(), { events: [cancelWhile(act.submitSparkBatch.name)] });

      expectCancelled(result);
      expect(callsOf(result, act.submitSparkBatch)).toHaveLength(1);
      expect(callsOf(result, act.getSparkBatchState)).toEqual([]);
      expectTornDown(result, ['batch-score']);
    });

    it('while the Spark batch runs: the poll timer is interrupted and teardown kills the batch', async () => {
      const result = await runScoring(sparkInput(), {
        activities: { [act.getSparkBatchState.name]: batchStates('running') },
        events: [{ name: cancelEventName, afterActivity: act.getSparkBatchState.name }],
      });

      expectCancelled(result);
      expect(callsOf(result, act.getSparkBatchState)).toHaveLength(1);
      expect(result.timers.filter((t) => t.instanceId === runId && !t.retry).at(-1)).toMatchObject({ fired: false, cancelled: true });
      expect(callsOf(result, act.writeSparkPages)).toEqual([]);
      expectTornDown(result, ['batch-score']);
    });

    it('once the batch has succeeded, a cancel is too late: its pages are written and the run succeeds', async () => {
      const result = await runScoring(sparkInput(), { events: [cancelWhile(act.writeSparkPages.name)] });

      expect(expectSummarized(result, 'succeeded').pages.written).toBe(5);
      expect(result.customStatus).not.toHaveProperty('cancelRequested');
      expectTornDown(result, ['batch-score']);
    });

    it('during teardown, a cancel is not forwarded: teardown finishes and the outcome stands', async () => {
      const result = await runScoring(sparkInput(), {
        events: [{ name: cancelEventName, when: (s) => s.pendingChildren.includes(teardownClusterOrchestration.name) }],
      });

      expectSummarized(result, 'succeeded');
      expect(callsOf(result, forwardCancel)).toEqual([]);
      expect(result.events.map((e) => [e.instanceId, e.name])).toEqual([[runId, cancelEventName]]);
      expectTornDown(result, ['batch-score']);
    });
  });
});

describe('CancellableWave', () => {
  const work = activity<{ n: number }, { n: number }>('work');

  /** Calls `work` once (watched, never interrupted), then runs the input as one wave of `work`. */
  function* waveAfterActivity(context: OrchestrationContext): Generator<Task, unknown, unknown> {
    const cancel = new CancelWatch(context);
    const calls = new DurableCalls(context, cancel);
    const wave = new CancellableWave(context, calls, cancel);
    yield* calls.call(work, { n: 0 });
    try {
      return yield* wave.all(work, context.df.getInput() as { n: number }[], 'WORK.FAILED');
    } catch (err) {
      return errorOf(err);
    }
  }
  const answer: Responder = (input: { n: number }) => ({ ok: true, n: input.n });

  it('runs an empty wave as no wave at all', async () => {
    const result = await replay(waveAfterActivity, { input: [], activities: { work: answer } });

    expect(result.output).toEqual([]);
    expect(result.calls.map((c) => c.input)).toEqual([{ n: 0 }]);
  });

  it('starts no wave once a cancel has come, even one that came while a watched activity ran', async () => {
    const result = await replay(waveAfterActivity, {
      input: [{ n: 1 }, { n: 2 }],
      activities: { work: answer },
      events: [{ name: cancelEventName, when: (s) => s.pendingActivities.includes('work') }],
    });

    expect(result.output).toEqual({ code: 'RUN.CANCELLED', message: 'the run was cancelled' });
    expect(result.calls.map((c) => c.input)).toEqual([{ n: 0 }]);
  });

  it("returns each input's tagged result, in input order", async () => {
    const result = await replay(waveAfterActivity, {
      input: [{ n: 1 }, { n: 2 }],
      activities: { work: (input: { n: number }) => (input.n === 2 ? failure('WORK.REFUSED', 'two') : { ok: true, n: input.n }) },
    });

    expect(result.output).toEqual([
      { ok: true, n: 1 },
      { ok: false, code: 'WORK.REFUSED', message: 'two' },
    ]);
  });
});

describe('outputFiles', () => {
  it('names page files so that they sort in page order', () => {
    const indices = [0, 9, 10, 99, 100, 12345];
    const names = indices.map(outputFiles.page);

    expect(names[0]).toBe('predictions/page-00000.csv');
    expect([...names].sort()).toEqual(names);
  });
});
