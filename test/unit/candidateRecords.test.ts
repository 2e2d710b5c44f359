import { Candidate } from '../../shared/domain/candidateGrid';
import { Clock } from '../../shared/ports/clock';
import { CandidateRun, RunStore } from '../../shared/ports/runStore';
import {
  CandidateRecordDeps,
  CandidateRef,
  closeOpenCandidates,
  recordCandidateFailed,
  recordCandidateSubmitted,
  recordCandidateSucceeded,
} from '../../shared/usecases/candidateRecords';

/** The candidate half of a run store, in memory. */
function memoryRuns(): RunStore & { candidates: Map<string, CandidateRun> } {
  const candidates = new Map<string, CandidateRun>();
  const key = (pipeline: string, instanceId: string, candidateId: string) => `${pipeline}/${instanceId}/${candidateId}`;
  return {
    candidates,
    upsertPipelineRun: async () => undefined,
    getPipelineRun: async () => undefined,
    listPipelineRuns: async () => ({ items: [] }),
    listRunCosts: async () => [],
    importRuns: async () => undefined,
    upsertCandidateRun: async (run) => void candidates.set(key(run.pipeline, run.instanceId, run.candidateId), { ...run }),
    getCandidateRun: async (pipeline, instanceId, candidateId) => candidates.get(key(pipeline, instanceId, candidateId)),
    listCandidateRuns: async (pipeline, instanceId) =>
      [...candidates.values()].filter((c) => c.pipeline === pipeline && (instanceId === undefined || c.instanceId === instanceId)),
    topCandidateRuns: async () => [],
  };
}

function setUp() {
  let now = new Date('2026-11-22T12:00:00.000Z');
  const clock: Clock = { now: () => now };
  const runs = memoryRuns();
  const deps: CandidateRecordDeps = { runs, clock };
  const at = (iso: string) => (now = new Date(iso));
  return { deps, runs, at };
}

const candidate = (id: string): Candidate => ({
  id,
  featurizer: 'squeezenet',
  classifier: 'logistic_regression',
  params: { regParam: 0.1 },
});
const ref = (id = 'lr-a'): CandidateRef => ({ pipeline: 'fashion', instanceId: 'fashion--1', candidate: candidate(id) });
const output = 'http://127.0.0.1:10000/devstoreaccount1/canopy-artifacts/fashion/fashion--1/lr-a/';
const identity = {
  pipeline: 'fashion',
  instanceId: 'fashion--1',
  candidateId: 'lr-a',
  featurizer: 'squeezenet',
  classifier: 'logistic_regression',
  params: { regParam: 0.1 },
};
const record = (runs: ReturnType<typeof memoryRuns>, id = 'lr-a') => runs.getCandidateRun('fashion', 'fashion--1', id);

describe('candidate records', () => {
  it('records a submitted candidate as running, keeping its first start when it is submitted again', async () => {
    const { deps, runs, at } = setUp();
    await recordCandidateSubmitted(deps, ref(), { batchId: '7', output });
    at('2026-11-22T12:05:00.000Z');
    await recordCandidateSubmitted(deps, ref(), { batchId: '8', output });
    expect(await record(runs)).toEqual({
      ...identity,
      status: 'running',
      batchId: '8',
      startedAt: '2026-11-22T12:00:00.000Z',
      artifacts: { output },
    });
  });

  it('records a success with its metrics, outputs, cost and the time since it started', async () => {
    const { deps, runs, at } = setUp();
    await recordCandidateSubmitted(deps, ref(), { batchId: '7', output });
    at('2026-11-22T12:02:30.000Z');
    const artifacts = { output, metrics: `${output}metrics.json`, model: `${output}model/` };
    await recordCandidateSucceeded(deps, ref(), {
      metrics: { accuracy: 0.9, classAverageAccuracy: 0.88, rocAuc: {} },
      artifacts,
      costPerHour: 2.88,
    });
    // 150 s of a $2.88/hour share.
    expect(await record(runs)).toEqual({
      ...identity,
      status: 'succeeded',
      batchId: '7',
      startedAt: '2026-11-22T12:00:00.000Z',
      endedAt: '2026-11-22T12:02:30.000Z',
      durationSeconds: 150,
      metrics: { accuracy: 0.9, classAverageAccuracy: 0.88, rocAuc: {} },
      artifacts,
      costUsd: 0.12,
    });
  });

  it('records a failure with the end of its message, and a candidate that failed before it was recorded as never running', async () => {
    const { deps, runs, at } = setUp();
    await recordCandidateSubmitted(deps, ref(), { batchId: '7', output });
    at('2026-11-22T12:01:00.000Z');
    const log = `${'x'.repeat(3000)}Traceback: out of memory`;
    await recordCandidateFailed(deps, ref(), { code: 'LIVY.BATCH_DEAD', message: log });
    const failed = await record(runs);
    expect(failed).toMatchObject({ status: 'failed', batchId: '7', durationSeconds: 60, endedAt: '2026-11-22T12:01:00.000Z' });
    expect(failed?.error?.code).toBe('LIVY.BATCH_DEAD');
    expect(failed?.error?.message).toHaveLength(2000);
    expect(failed?.error?.message.endsWith('Traceback: out of memory')).toBe(true);

    await recordCandidateFailed(deps, ref('lr-b'), { code: 'TRAIN.SUBMIT_FAILED', message: 'the cluster refused the batch' });
    expect(await record(runs, 'lr-b')).toEqual({
      ...identity,
      candidateId: 'lr-b',
      status: 'failed',
      startedAt: '2026-11-22T12:01:00.000Z',
      endedAt: '2026-11-22T12:01:00.000Z',
      durationSeconds: 0,
      error: { code: 'TRAIN.SUBMIT_FAILED', message: 'the cluster refused the batch' },
    });
  });

  it('closes every open candidate of a cancelled run, leaving none running and the finished ones as they were', async () => {
    const { deps, runs, at } = setUp();
    for (const id of ['lr-a', 'lr-b', 'lr-c']) await recordCandidateSubmitted(deps, ref(id), { batchId: id, output });
    await runs.upsertCandidateRun({ ...identity, candidateId: 'lr-d', status: 'pending' });
    await runs.upsertCandidateRun({ ...identity, instanceId: 'fashion--2', candidateId: 'lr-e', status: 'running' });
    await recordCandidateSucceeded(deps, ref('lr-c'), {
      metrics: { accuracy: 0.9, classAverageAccuracy: 0.9, rocAuc: {} },
      artifacts: { output },
    });
    at('2026-11-22T12:10:00.000Z');
    const closed = await closeOpenCandidates(deps, { pipeline: 'fashion', instanceId: 'fashion--1' }, 'cancelled', {
      code: 'RUN.CANCELLED',
      message: 'the run was cancelled',
    });
    expect(closed).toBe(3);
    const statuses = (await runs.listCandidateRuns('fashion', 'fashion--1')).map((c) => [c.candidateId, c.status]);
    expect(statuses).toEqual([
      ['lr-a', 'cancelled'],
      ['lr-b', 'cancelled'],
      ['lr-c', 'succeeded'],
      ['lr-d', 'cancelled'],
    ]);
    expect(await record(runs, 'lr-a')).toMatchObject({
      endedAt: '2026-11-22T12:10:00.000Z',
      durationSeconds: 600,
      error: { code: 'RUN.CANCELLED', message: 'the run was cancelled' },
    });
    expect((await runs.getCandidateRun('fashion', 'fashion--2', 'lr-e'))?.status).toBe('running');
    expect(
      await closeOpenCandidates(deps, { pipeline: 'fashion', instanceId: 'fashion--1' }, 'cancelled', {
        code: 'RUN.CANCELLED',
        message: '',
      }),
    ).toBe(0);
  });
});
