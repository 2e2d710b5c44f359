import { Composition } from '../../../shared/composition';
import { PipelineSpec } from '../../../shared/domain/pipelineSpec';
import { candidateOutput, etlOutput, dataSnapshot, trainingInput } from '../../../shared/domain/runLocations';
import {
  closeOpenCandidates,
  recordCandidateFailed,
  recordCandidateSubmitted,
  recordCandidateSucceeded,
} from '../../../shared/usecases/candidateRecords';
import { toCanopyError } from '../../../shared/errors';
import { CandidateRun } from '../../../shared/ports/runStore';
import { failure, HandlersOf } from '../../durable/contract';
import { specOf } from '../../hosting/runSpec';
import { CandidateRef, trainActivities } from '../contracts';

const jobOf = (spec: PipelineSpec) => (spec.scenario === 'image-classification' ? 'image_train' : 'workload_train');

export function createTrainActivities({
  compute,
  specs,
  runs,
  blobs,
  clock,
}: Pick<Composition, 'compute' | 'specs' | 'runs' | 'blobs' | 'clock'>): HandlersOf<typeof trainActivities> {
  const records = { runs, clock };
  const recordRef = ({ run, candidate }: CandidateRef) => ({ pipeline: run.pipeline, instanceId: run.instanceId, candidate });

  return {
    async submitEtl({ run, cluster }) {
      const spec = await specOf(specs, run);
      const request = { name: 'etl', job: 'workload_etl' as const, input: dataSnapshot(run, spec), output: etlOutput(run, spec), args: [] };
      const { batchId } = await compute(cluster.target).submitBatch(cluster.name, request);
      return { ok: true, batchId };
    },

    async submitCandidate(ref) {
      const { run, cluster, candidate } = ref;
      const spec = await specOf(specs, run);
      const output = candidateOutput(run, spec, candidate.id);
      try {
        const { batchId } = await compute(cluster.target).submitBatch(cluster.name, {
          name: candidate.id,
          job: jobOf(spec),
          input: trainingInput(run, spec),
          output,
          featurizer: spec.scenario === 'image-classification' ? candidate.featurizer : undefined,
          args: [
            ...['--classifier', candidate.classifier, '--params', JSON.stringify(candidate.params)],
            ...['--sample-fraction', String(spec.sampleFraction), '--seed', String(spec.seed)],
          ],
        });
        await recordCandidateSubmitted(records, recordRef(ref), {
          batchId,
          output: blobs.url({ container: output.container, name: output.prefix }),
        });
        return { ok: true, batchId };
      } catch (err) {
        const error = toCanopyError(err);
        if (error.transient) throw error;
        await recordCandidateFailed(records, recordRef(ref), { code: 'TRAIN.SUBMIT_FAILED', message: error.message });
        return failure('TRAIN.SUBMIT_FAILED', error.message);
      }
    },

    async getBatchState({ cluster, batchId }) {
      const status = await compute(cluster.target).getBatch(cluster.name, batchId);
      return { ok: true, ...(status ?? { state: 'dead', log: `batch ${batchId} is unknown to the compute target` }) };
    },

    async collectCandidate(ref) {
      const { run, cluster, candidate, batchId, costPerHour } = ref;
      const spec = await specOf(specs, run);
      const output = candidateOutput(run, spec, candidate.id);
      const target = compute(cluster.target);
      const metricsRef = target.outputRef({ output }, 'metrics.json');
      const metricsText = await blobs.get(metricsRef);
      const success = await blobs.getInfo(target.outputRef({ output }, '_SUCCESS'));
      if (!metricsText || !success) {
        const message = 'the batch succeeded but left no metrics.json and _SUCCESS';
        await recordCandidateFailed(records, recordRef(ref), { code: 'TRAIN.NO_OUTPUT', message, batchId });
        return failure('TRAIN.NO_OUTPUT', `candidate ${candidate.id} left no metrics`);
      }
      const metrics = JSON.parse(metricsText.toString('utf8')) as NonNullable<CandidateRun['metrics']>;
      await recordCandidateSucceeded(records, recordRef(ref), {
        metrics,
        costPerHour,
        artifacts: {
          output: blobs.url({ container: output.container, name: output.prefix }),
          metrics: blobs.url(metricsRef),
          model: blobs.url(target.outputRef({ output }, 'model/')),
        },
      });
      return { ok: true, accuracy: metrics.accuracy };
    },

    async recordCandidateFailure(ref) {
      if (ref.kill) await compute(ref.cluster.target).killBatch(ref.cluster.name, ref.batchId);
      await recordCandidateFailed(records, recordRef(ref), { code: ref.code, message: ref.message, batchId: ref.batchId });
      return { ok: true };
    },

    async abandonCandidates({ run, cluster, batchIds, status, code, message }) {
      const target = compute(cluster.target);
      for (const batchId of batchIds) await target.killBatch(cluster.name, batchId);
      await closeOpenCandidates(records, run, status, { code, message });
      return { ok: true };
    },
  };
}
