import { clusterHandle } from '../../../orchestrations/provisionCluster/contracts';
import { trainActivities, TrainInput, TrainProgress } from '../../../orchestrations/trainCandidates/contracts';
import { trainCandidates } from '../../../orchestrations/trainCandidates/orchestrator';
import { Candidate, candidateGrid } from '../../../shared/domain/candidateGrid';
import { transientError } from '../../../shared/errors';
import { CallRecord, EventTrigger, replay, ReplayResult, ReplayState, Responder } from '../../support/orchestrationReplay';
import { Json } from '../../support/json';
import { at, callsTo, hosted, namesOf, pipelineSpec, refuse, run, startAt, succeed } from './pipelineFixture';

const cluster = clusterHandle('local-spark', 'canopy-demo-1234abcd', true);

/** Two featurizers × four parameter values: eight candidates, four per featurizer. */
const grid: Candidate[] = candidateGrid(
  pipelineSpec({
    candidates: {
      featurizers: ['squeezenet1.1', 'resnet50'],
      classifiers: [{ type: 'logistic_regression', grid: { regParam: [0.01, 0.1, 1, 10] } }],
    },
  }),
);
const [sq1, sq2, sq3, sq4, rn1, rn2, rn3, rn4] = grid;

const baseInput: TrainInput = {
  run,
  cluster,
  candidates: grid,
  etlFirst: false,
  maxConcurrent: 2,
  candidateTimeoutMinutes: 2,
  // No grid fits in a batch: the per-candidate path (the grid path has its own input below).
  batchTimeLimitMinutes: 0,
  pollSeconds: 30,
  computeCostPerHour: 1.2,
};

const batchOf = (candidate: Candidate): string => `b-${candidate.id}`;

/**
 * Each batch reports its script of states in turn (then its last one forever); a batch without a
 * script runs for one poll, then succeeds.
 */
function batchStates(scripts: Record<string, (string | { state: string; log?: string } | Error)[]> = {}): Responder {
  const polls = new Map<string, number>();
  return (input: { batchId: string }) => {
    const n = (polls.get(input.batchId) ?? 0) + 1;
    polls.set(input.batchId, n);
    const script = scripts[input.batchId] ?? ['running', 'success'];
    const next = script[Math.min(n, script.length) - 1];
    if (next instanceof Error) return { ok: false, code: 'LIVY.NOT_FOUND', message: next.message };
    return { ok: true, ...(typeof next === 'string' ? { state: next } : next) };
  };
}

/** A grid batch's candidates appear one per poll, in order. */
const settleOnePerPoll: Responder = (input: { candidates: Candidate[] }) => ({
  ok: true,
  settled: input.candidates.slice(0, 1).map((c) => ({ candidateId: c.id, ok: true })),
});

function train(
  activities: Record<string, Responder> = {},
  options: { input?: Partial<TrainInput>; events?: EventTrigger[] } = {},
): Promise<ReplayResult<Json>> {
  return replay(trainCandidates, {
    input: { ...baseInput, ...options.input },
    instanceId: 'run-1:trainCandidates',
    startAt,
    activities: {
      [trainActivities.submitEtl.name]: () => ({ ok: true, batchId: 'b-etl' }),
      [trainActivities.submitCandidate.name]: (input: { candidate: Candidate }) => ({ ok: true, batchId: batchOf(input.candidate) }),
      [trainActivities.getBatchState.name]: batchStates(),
      [trainActivities.collectCandidate.name]: () => ({ ok: true, accuracy: 0.9 }),
      [trainActivities.recordCandidateFailure.name]: succeed,
      [trainActivities.abandonCandidates.name]: succeed,
      [trainActivities.submitGrid.name]: (input: { featurizer: string }) => ({ ok: true, batchId: `b-grid-${input.featurizer}` }),
      [trainActivities.collectGrid.name]: settleOnePerPoll,
      [trainActivities.recordGridFailure.name]: succeed,
      ...activities,
    },
    events: options.events,
  });
}

/** The most batches submitted and not yet settled (collected or recorded as failed) at any time. */
function mostAtOnce(calls: CallRecord[]): number {
  let open = 0;
  let most = 0;
  for (const call of calls) {
    if (call.name === trainActivities.submitCandidate.name && call.ok && (call.result as { ok: boolean }).ok) open++;
    if (call.name === trainActivities.collectCandidate.name || call.name === trainActivities.recordCandidateFailure.name) open--;
    most = Math.max(most, open);
  }
  return most;
}

const submittedIds = (calls: CallRecord[]): string[] => callsTo(calls, trainActivities.submitCandidate).map((c) => c.input.candidate.id);

describe('trainCandidates, one batch per candidate', () => {
  it('trains the grid at most maxConcurrent at once, the first candidate of each featurizer alone', async () => {
    const result = await train();

    expect(result.output).toEqual({
      ok: true,
      outcomes: expect.arrayContaining(grid.map((c) => ({ candidateId: c.id, ok: true }))),
      batchIds: expect.arrayContaining(grid.map(batchOf)),
    });
    expect(result.output.outcomes).toHaveLength(8);
    expect(mostAtOnce(result.calls)).toBe(2);
    // Both featurizers' first candidates start together; each featurizer's others wait for its first to finish.
    expect(submittedIds(result.calls).slice(0, 2)).toEqual([sq1.id, rn1.id]);
    for (const [first, second] of [
      [sq1, sq2],
      [rn1, rn2],
    ]) {
      const collected = result.calls.findIndex(
        (c) => c.name === trainActivities.collectCandidate.name && c.input.candidate.id === first.id,
      );
      const submitted = result.calls.findIndex(
        (c) => c.name === trainActivities.submitCandidate.name && c.input.candidate.id === second.id,
      );
      expect(collected).toBeGreaterThanOrEqual(0);
      expect(submitted).toBeGreaterThan(collected);
    }
    // Two running candidates share the cluster's cost.
    expect(callsTo(result.calls, trainActivities.collectCandidate)[0].input).toMatchObject({
      run,
      cluster,
      batchId: batchOf(sq1),
      costPerHour: 0.6,
    });
    expect(result.customStatuses[0]).toEqual<TrainProgress>({ total: 8, done: 0, failed: 0, running: 0 });
    expect(result.customStatuses).toContainEqual<TrainProgress>({ total: 8, done: 0, failed: 0, running: 2 });
    expect(result.customStatus).toEqual<TrainProgress>({ total: 8, done: 8, failed: 0, running: 0 });
    expect(callsTo(result.calls, trainActivities.abandonCandidates)).toEqual([]);
  });

  it('runs candidates one at a time when maxConcurrent is 1', async () => {
    const result = await train({}, { input: { maxConcurrent: 1 } });

    expect(mostAtOnce(result.calls)).toBe(1);
    expect(result.output.outcomes).toHaveLength(8);
    expect(callsTo(result.calls, trainActivities.collectCandidate)[0].input.costPerHour).toBe(1.2);
  });

  it('settles each candidate on its own: success, dead, killed, timed out, unreadable, no output, not submitted', async () => {
    const result = await train({
      [trainActivities.getBatchState.name]: batchStates({
        [batchOf(sq2)]: ['running', { state: 'dead', log: 'OutOfMemoryError' }],
        [batchOf(sq3)]: ['killed'],
        [batchOf(rn2)]: ['running'],
        [batchOf(rn3)]: [new Error('batch 7 not found')],
      }),
      [trainActivities.submitCandidate.name]: (input: { candidate: Candidate }) =>
        input.candidate.id === sq4.id
          ? { ok: false, code: 'LIVY.FORBIDDEN', message: 'no' }
          : { ok: true, batchId: batchOf(input.candidate) },
      [trainActivities.collectCandidate.name]: (input: { candidate: Candidate }) =>
        input.candidate.id === rn4.id ? { ok: false, code: 'TRAIN.NO_OUTPUT', message: 'no metrics.json' } : { ok: true, accuracy: 0.9 },
    });

    expect(result.output.ok).toBe(true);
    const outcomes = Object.fromEntries(
      result.output.outcomes.map((o: { candidateId: string; ok: boolean; code?: string }) => [o.candidateId, o.code ?? 'ok']),
    );
    expect(outcomes).toEqual({
      [sq1.id]: 'ok',
      [sq2.id]: 'LIVY.BATCH_DEAD',
      [sq3.id]: 'LIVY.BATCH_KILLED',
      [sq4.id]: 'LIVY.FORBIDDEN',
      [rn1.id]: 'ok',
      [rn2.id]: 'TRAIN.TIMEOUT',
      [rn3.id]: 'LIVY.BATCH_DEAD',
      [rn4.id]: 'TRAIN.NO_OUTPUT',
    });
    const failures = callsTo(result.calls, trainActivities.recordCandidateFailure).map((c) => [
      c.input.candidate.id,
      c.input.code,
      c.input.message,
      c.input.kill,
    ]);
    expect(failures).toEqual(
      expect.arrayContaining([
        [sq2.id, 'LIVY.BATCH_DEAD', 'OutOfMemoryError', false],
        [sq3.id, 'LIVY.BATCH_KILLED', 'the batch ended killed', false],
        [rn2.id, 'TRAIN.TIMEOUT', 'no result within 2 minutes', true],
        [rn3.id, 'LIVY.BATCH_DEAD', 'batch 7 not found', false],
      ]),
    );
    expect(failures).toHaveLength(4);
    // The overdue batch was given up on the first poll past its 2 minutes.
    const timedOut = callsTo(result.calls, trainActivities.recordCandidateFailure).find((c) => c.input.code === 'TRAIN.TIMEOUT');
    const submittedAt = callsTo(result.calls, trainActivities.submitCandidate).find((c) => c.input.candidate.id === rn2.id)?.at;
    expect(Date.parse(timedOut?.at ?? '') - Date.parse(submittedAt ?? '')).toBe(150_000);
    expect(result.output.batchIds).not.toContain(batchOf(sq4));
    expect(result.customStatus).toEqual<TrainProgress>({ total: 8, done: 2, failed: 6, running: 0 });
  });

  describe('with the ETL first', () => {
    it('waits for the ETL batch, then trains', async () => {
      const result = await train({}, { input: { etlFirst: true } });

      expect(result.output.ok).toBe(true);
      expect(result.output.batchIds[0]).toBe('b-etl');
      expect(result.calls.slice(0, 3).map((c) => [c.name, c.at, c.input.batchId])).toEqual([
        [trainActivities.submitEtl.name, at(0), undefined],
        [trainActivities.getBatchState.name, at(30), 'b-etl'],
        [trainActivities.getBatchState.name, at(60), 'b-etl'],
      ]);
      expect(callsTo(result.calls, trainActivities.submitEtl)[0].input).toEqual({ run, cluster });
      expect(callsTo(result.calls, trainActivities.submitCandidate)[0].at).toBe(at(60));
      expect(callsTo(result.calls, trainActivities.submitCandidate).map((c) => c.input.etl)).toEqual(grid.map(() => false));
    });

    it("runs the ETL inside a one-batch plan's grid application: one batch, no ETL batch", async () => {
      const result = await train({}, { input: { etlFirst: true, candidates: [sq1, sq2], batchTimeLimitMinutes: 720 } });

      expect(result.output).toEqual({
        ok: true,
        outcomes: [sq1, sq2].map((c) => ({ candidateId: c.id, ok: true })),
        batchIds: ['b-grid-squeezenet1.1'],
      });
      expect(callsTo(result.calls, trainActivities.submitEtl)).toEqual([]);
      expect(callsTo(result.calls, trainActivities.submitGrid).map((c) => [c.at, c.input])).toEqual([
        [at(0), { run, cluster, featurizer: 'squeezenet1.1', candidates: [sq1, sq2], parallelism: 2, etl: true }],
      ]);
    });

    it("runs the ETL inside a single candidate's batch", async () => {
      const result = await train({}, { input: { etlFirst: true, candidates: [sq1] } });

      expect(result.output).toEqual({ ok: true, outcomes: [{ candidateId: sq1.id, ok: true }], batchIds: [batchOf(sq1)] });
      expect(callsTo(result.calls, trainActivities.submitEtl)).toEqual([]);
      expect(callsTo(result.calls, trainActivities.submitCandidate).map((c) => c.input)).toEqual([
        { run, cluster, candidate: sq1, etl: true },
      ]);
    });

    it.each([
      [{ state: 'dead', log: 'bad CSV header' }, 'bad CSV header'],
      [{ state: 'killed' }, 'the ETL batch ended killed'],
    ])('fails as ETL.FAILED when the ETL batch ends %o, training nothing', async (state, message) => {
      const result = await train(
        { [trainActivities.getBatchState.name]: batchStates({ 'b-etl': [state] }) },
        { input: { etlFirst: true } },
      );

      expect(result.output).toEqual({ ok: false, code: 'ETL.FAILED', message });
      expect(callsTo(result.calls, trainActivities.submitCandidate)).toEqual([]);
      expect(callsTo(result.calls, trainActivities.abandonCandidates).map((c) => c.input)).toEqual([
        { run, cluster, batchIds: [], status: 'failed', code: 'ETL.FAILED', message },
      ]);
    });

    it('fails as ETL.TIMEOUT when the ETL batch outlives the candidate timeout', async () => {
      const result = await train(
        { [trainActivities.getBatchState.name]: batchStates({ 'b-etl': ['running'] }) },
        { input: { etlFirst: true } },
      );

      expect(result.output).toEqual({ ok: false, code: 'ETL.TIMEOUT', message: 'the ETL batch did not finish within 2 minutes' });
      expect(callsTo(result.calls, trainActivities.getBatchState).at(-1)?.at).toBe(at(150));
      expect(callsTo(result.calls, trainActivities.abandonCandidates)).toHaveLength(1);
    });
  });

  it('fails as TRAIN.TIMEOUT when the grid outlives its deadline, abandoning what still runs', async () => {
    // Three candidates of one featurizer run one after another, each given up at the first poll (150 s) past its 1-minute
    // timeout: the third is submitted at 300 s, past the grid's deadline of (3 + 1) × 1 minute.
    const three = grid.slice(0, 3);
    const result = await train(
      { [trainActivities.getBatchState.name]: batchStates(Object.fromEntries(three.map((c) => [batchOf(c), ['running']]))) },
      { input: { candidates: three, maxConcurrent: 1, candidateTimeoutMinutes: 1, pollSeconds: 150 } },
    );

    expect(result.output).toEqual({ ok: false, code: 'TRAIN.TIMEOUT', message: 'the candidates did not finish in time' });
    expect(callsTo(result.calls, trainActivities.abandonCandidates).map((c) => c.input)).toEqual([
      {
        run,
        cluster,
        batchIds: [batchOf(three[2])],
        status: 'failed',
        code: 'TRAIN.TIMEOUT',
        message: 'the candidates did not finish in time',
      },
    ]);
    expect(result.customStatus).toMatchObject({ running: 0, failed: 2 });
  });

  it('on a cancel during the wait, abandons the running batches as cancelled', async () => {
    const sleepingAfterAPoll = (state: ReplayState): boolean =>
      state.pendingTimers === 1 && state.calls.some((c) => c.name === trainActivities.getBatchState.name);
    const result = await train({}, { events: [{ name: 'cancel', when: sleepingAfterAPoll }] });

    expect(result.output).toEqual({ ok: false, code: 'RUN.CANCELLED', message: 'the run was cancelled' });
    expect(result.endedAt.toISOString()).toBe(at(30));
    expect(callsTo(result.calls, trainActivities.abandonCandidates).map((c) => c.input)).toEqual([
      {
        run,
        cluster,
        batchIds: [batchOf(sq1), batchOf(rn1)],
        status: 'cancelled',
        code: 'RUN.CANCELLED',
        message: 'the run was cancelled',
      },
    ]);
    expect(result.timers.at(-1)).toMatchObject({ fired: false, cancelled: true });
    expect(result.customStatus).toEqual<TrainProgress>({ total: 8, done: 0, failed: 0, running: 0 });
  });

  it('fails as RUN.FAILED when a submit keeps failing, abandoning what runs', async () => {
    const result = await train({
      [trainActivities.submitCandidate.name]: hosted((input: { candidate: Candidate }) => {
        if (input.candidate.id === rn1.id) throw transientError('LIVY.UNAVAILABLE', 'livy is down');
        return { ok: true, batchId: batchOf(input.candidate) };
      }),
    });

    expect(result.output).toMatchObject({ ok: false, code: 'RUN.FAILED' });
    expect(callsTo(result.calls, trainActivities.submitCandidate).filter((c) => !c.ok)).toHaveLength(5);
    expect(callsTo(result.calls, trainActivities.abandonCandidates)[0].input).toMatchObject({ batchIds: [batchOf(sq1)], status: 'failed' });
    expect(namesOf(result.calls).at(-1)).toBe(trainActivities.abandonCandidates.name);
  });

  it('submits nothing for an empty grid', async () => {
    const result = await train({}, { input: { candidates: [] } });

    expect(result.output).toEqual({ ok: true, outcomes: [], batchIds: [] });
    expect(result.calls).toEqual([]);
  });

  it('returns a refused abandon as its failure', async () => {
    const result = await train(
      { [trainActivities.abandonCandidates.name]: refuse('LIVY.FORBIDDEN') },
      { events: [{ name: 'cancel', afterActivity: trainActivities.getBatchState.name }] },
    );

    // The abandon step's own refusal escapes the orchestrator: the instance fails, which its parent reports as RUN.FAILED.
    expect(result.status).toBe('failed');
    expect(result.error?.message).toContain('refused: LIVY.FORBIDDEN');
  });
});

describe('trainCandidates, one batch per featurizer grid', () => {
  const gridInput: Partial<TrainInput> = { batchTimeLimitMinutes: 720 };
  const sqGrid = 'b-grid-squeezenet1.1';
  const rnGrid = 'b-grid-resnet50';
  const gridBatches = (scripts: Record<string, (string | { state: string; log?: string })[]>) =>
    batchStates({ [sqGrid]: ['running'], [rnGrid]: ['running'], ...scripts });

  it("submits one batch per featurizer's grid and records its candidates as their outputs appear", async () => {
    const result = await train({ [trainActivities.getBatchState.name]: gridBatches({}) }, { input: gridInput });

    expect(result.output).toEqual({
      ok: true,
      outcomes: grid.map((c) => ({ candidateId: c.id, ok: true })),
      batchIds: [sqGrid, rnGrid],
    });
    expect(callsTo(result.calls, trainActivities.submitCandidate)).toEqual([]);
    expect(callsTo(result.calls, trainActivities.submitGrid).map((c) => c.input)).toEqual([
      { run, cluster, featurizer: 'squeezenet1.1', candidates: [sq1, sq2, sq3, sq4], parallelism: 2, etl: false },
      { run, cluster, featurizer: 'resnet50', candidates: [rn1, rn2, rn3, rn4], parallelism: 2, etl: false },
    ]);
    // A grid takes both slots: the second featurizer's grid starts once the first has settled every candidate.
    expect(callsTo(result.calls, trainActivities.submitGrid).map((c) => c.at)).toEqual([at(0), at(120)]);
    const collects = callsTo(result.calls, trainActivities.collectGrid).map((c) => c.input);
    expect(collects[0]).toEqual({ run, cluster, batchId: sqGrid, candidates: [sq1, sq2, sq3, sq4], costPerHour: 0.6 });
    expect(collects[1].candidates).toEqual([sq2, sq3, sq4]);
    // Progress moves one candidate at a time while the grid's application still runs.
    expect(result.customStatuses).toContainEqual<TrainProgress>({ total: 8, done: 0, failed: 0, running: 4 });
    expect(result.customStatuses).toContainEqual<TrainProgress>({ total: 8, done: 1, failed: 0, running: 3 });
    expect(result.customStatuses).toContainEqual<TrainProgress>({ total: 8, done: 5, failed: 0, running: 3 });
    expect(result.customStatus).toEqual<TrainProgress>({ total: 8, done: 8, failed: 0, running: 0 });
    expect(callsTo(result.calls, trainActivities.recordGridFailure)).toEqual([]);
  });

  it('settles a failing candidate alone and fails what an ended batch left, by how it ended', async () => {
    const result = await train(
      {
        [trainActivities.getBatchState.name]: gridBatches({
          [sqGrid]: ['starting', 'running', { state: 'dead', log: 'OutOfMemoryError' }],
          [rnGrid]: ['running', 'killed'],
        }),
        [trainActivities.collectGrid.name]: (input: { batchId: string; candidates: Candidate[] }) => ({
          ok: true,
          settled:
            input.batchId === sqGrid && input.candidates.length === 4
              ? [
                  { candidateId: sq1.id, ok: true },
                  { candidateId: sq2.id, ok: false, code: 'TRAIN.CANDIDATE_FAILED' },
                ]
              : [],
        }),
      },
      { input: { ...gridInput, maxConcurrent: 4 } },
    );

    expect(result.output.ok).toBe(true);
    const outcomes = Object.fromEntries(
      result.output.outcomes.map((o: { candidateId: string; ok: boolean; code?: string }) => [o.candidateId, o.code ?? 'ok']),
    );
    expect(outcomes).toEqual({
      [sq1.id]: 'ok',
      [sq2.id]: 'TRAIN.CANDIDATE_FAILED',
      [sq3.id]: 'LIVY.BATCH_DEAD',
      [sq4.id]: 'LIVY.BATCH_DEAD',
      [rn1.id]: 'LIVY.BATCH_KILLED',
      [rn2.id]: 'LIVY.BATCH_KILLED',
      [rn3.id]: 'LIVY.BATCH_KILLED',
      [rn4.id]: 'LIVY.BATCH_KILLED',
    });
    expect(callsTo(result.calls, trainActivities.recordGridFailure).map((c) => c.input)).toEqual([
      { run, cluster, batchId: sqGrid, candidates: [sq3, sq4], code: 'LIVY.BATCH_DEAD', message: 'OutOfMemoryError', kill: false },
      {
        run,
        cluster,
        batchId: rnGrid,
        candidates: [rn1, rn2, rn3, rn4],
        code: 'LIVY.BATCH_KILLED',
        message: 'the batch ended killed',
        kill: false,
      },
    ]);
    // A starting batch has written nothing yet: its outputs are first looked for once it runs.
    expect(callsTo(result.calls, trainActivities.collectGrid)[0]).toMatchObject({ at: at(60), input: { batchId: sqGrid } });
  });

  it('fails the candidates a successful batch left without outputs as TRAIN.NO_OUTPUT', async () => {
    const result = await train(
      {
        [trainActivities.getBatchState.name]: gridBatches({ [sqGrid]: ['success'] }),
        [trainActivities.collectGrid.name]: () => ({ ok: true, settled: [] }),
      },
      { input: { ...gridInput, candidates: [sq1, sq2] } },
    );

    expect(result.output.outcomes).toEqual([
      { candidateId: sq1.id, ok: false, code: 'TRAIN.NO_OUTPUT' },
      { candidateId: sq2.id, ok: false, code: 'TRAIN.NO_OUTPUT' },
    ]);
    expect(callsTo(result.calls, trainActivities.recordGridFailure)[0].input).toMatchObject({
      code: 'TRAIN.NO_OUTPUT',
      message: 'the grid batch succeeded but left no _SUCCESS or _FAILED for the candidate',
      kill: false,
    });
  });

  it('kills a grid batch that outlives its ceil(n / parallelism) candidate timeouts and fails what it left', async () => {
    const result = await train(
      {
        [trainActivities.getBatchState.name]: gridBatches({}),
        [trainActivities.collectGrid.name]: () => ({ ok: true, settled: [] }),
      },
      { input: { ...gridInput, candidates: [sq1, sq2, sq3], maxConcurrent: 2, candidateTimeoutMinutes: 1, pollSeconds: 60 } },
    );

    expect(result.output.outcomes.map((o: { code: string }) => o.code)).toEqual(['TRAIN.TIMEOUT', 'TRAIN.TIMEOUT', 'TRAIN.TIMEOUT']);
    const failed = callsTo(result.calls, trainActivities.recordGridFailure)[0];
    // Two rounds of two candidates at 1 minute each: given up at the first poll past 2 minutes.
    expect(failed.at).toBe(at(180));
    expect(failed.input).toMatchObject({
      batchId: sqGrid,
      code: 'TRAIN.TIMEOUT',
      message: "no result within the grid's 2 minutes",
      kill: true,
    });
  });

  it('fails every candidate of a grid whose submission was refused, and trains the others', async () => {
    const result = await train(
      {
        [trainActivities.submitGrid.name]: (input: { featurizer: string }) =>
          input.featurizer === 'resnet50'
            ? { ok: false, code: 'COMPUTE.FEATURIZER_MISSING', message: 'no resnet50' }
            : { ok: true, batchId: sqGrid },
        [trainActivities.getBatchState.name]: gridBatches({}),
      },
      { input: gridInput },
    );

    expect(result.output.outcomes.filter((o: { code?: string }) => o.code === 'COMPUTE.FEATURIZER_MISSING')).toHaveLength(4);
    expect(result.output.outcomes.filter((o: { ok: boolean }) => o.ok)).toHaveLength(4);
    expect(result.output.batchIds).toEqual([sqGrid]);
  });

  it('on a cancel, abandons the running grid batch', async () => {
    const result = await train({}, { input: gridInput, events: [{ name: 'cancel', afterActivity: trainActivities.collectGrid.name }] });

    expect(result.output).toEqual({ ok: false, code: 'RUN.CANCELLED', message: 'the run was cancelled' });
    expect(callsTo(result.calls, trainActivities.abandonCandidates)[0].input).toMatchObject({ batchIds: [sqGrid], status: 'cancelled' });
    expect(result.customStatus).toMatchObject({ done: 1, running: 0 });
  });
});
