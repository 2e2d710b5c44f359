import { Composition } from '../../../shared/composition';
import { closeOpenCandidates } from '../../../shared/usecases/candidateRecords';
import { HandlersOf } from '../../durable/contract';
import { pipelineActivities } from '../contracts';

type Handlers = HandlersOf<typeof pipelineActivities>;

/** The run document: created at the start, brought up to date at every stage change, closed at the end. */
export function runRecordActivities({
  runs,
  clock,
}: Pick<Composition, 'runs' | 'clock'>): Pick<Handlers, 'recordRunStart' | 'recordRunProgress' | 'recordRunEnd'> {
  return {
    async recordRunStart({ run, dataVersion, trigger, startedAt, candidates }) {
      if (await runs.getPipelineRun(run.pipeline, run.instanceId)) return { ok: true };
      await runs.upsertPipelineRun({
        pipeline: run.pipeline,
        instanceId: run.instanceId,
        specVersion: run.specVersion,
        dataVersion,
        trigger,
        status: 'running',
        stage: 'validate',
        startedAt,
        stageSeconds: {},
        candidates: { total: candidates, succeeded: 0, failed: 0 },
        costUsd: 0,
      });
      return { ok: true };
    },

    async recordRunProgress({ run, stage, stageSeconds, candidates, costUsd, nodeMinutes }) {
      const existing = await runs.getPipelineRun(run.pipeline, run.instanceId);
      // A run that already ended is not taken back to an earlier stage by a late retry.
      if (!existing || existing.status !== 'running') return { ok: true };
      await runs.upsertPipelineRun({ ...existing, stage, stageSeconds, candidates, costUsd, nodeMinutes });
      return { ok: true };
    },

    async recordRunEnd({ run, summary, endedAt, costUsd, nodeMinutes }) {
      if (summary.pipelineStatus !== 'succeeded') {
        const status = summary.pipelineStatus === 'cancelled' ? 'cancelled' : 'failed';
        await closeOpenCandidates({ runs, clock }, run, status, summary.error ?? { code: 'RUN.FAILED', message: `the run ${status}` });
      }
      const existing = await runs.getPipelineRun(run.pipeline, run.instanceId);
      if (!existing) return { ok: true };
      // Counted from the candidate records, which a training cut short by a cancel still leaves behind.
      const records = (await runs.listCandidateRuns(run.pipeline, run.instanceId)).filter((c) => c.instanceId === run.instanceId);
      const succeeded = records.filter((c) => c.status === 'succeeded').length;
      await runs.upsertPipelineRun({
        ...existing,
        status: summary.pipelineStatus,
        stage: 'done',
        endedAt,
        stageSeconds: summary.stageSeconds,
        candidates: { total: summary.candidates.total, succeeded, failed: records.length - succeeded },
        best: summary.best,
        decision: summary.decision,
        deployment: summary.deployed ? { name: summary.deployed.name, endpoint: summary.deployed.endpoint } : undefined,
        costUsd,
        nodeMinutes,
        tornDown: summary.tornDown,
        error: summary.error,
      });
      return { ok: true };
    },
  };
}
