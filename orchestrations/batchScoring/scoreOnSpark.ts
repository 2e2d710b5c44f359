import { Task } from 'durable-functions';
import { RunFailure } from '../durable/failures';
import { pollUntil } from '../durable/pollUntil';
import { ClusterHandle } from '../provisionCluster/contracts';
import { batchScoringActivities as act } from './contracts';
import { ScoringRun } from './scoringRun';

const live = (state: string): boolean => state === 'starting' || state === 'running';

/**
 * One `batch_score` batch for the whole run (see README: a batch's start-up dwarfs a page), then
 * its rows become the same page files as the scorer route writes. The batch id goes to `batchIds`
 * as soon as it is known, so that teardown kills the batch whatever happens next.
 */
export function* scoreOnSpark(
  { context, input, run, cancel, calls, progress }: ScoringRun,
  cluster: ClusterHandle,
  pageCount: number,
  batchIds: string[],
): Generator<Task, void, unknown> {
  const { source, pageSize, labels, compute } = input;
  cancel.throwIfRequested();
  const { batchId } = yield* calls.call(act.submitSparkBatch, { run, cluster, source, packageUri: input.packageUri });
  batchIds.push(batchId);
  const finished = yield* pollUntil(
    context,
    { timeoutSeconds: compute.timeoutMinutes * 60, intervalSeconds: input.pollSeconds, cancel, waitFirst: true },
    function* () {
      const batch = yield* calls.call(act.getSparkBatchState, { cluster, batchId });
      if (batch.state === 'success') return true;
      if (!live(batch.state)) throw new RunFailure('SPARK.BATCH_FAILED', batch.log ?? `the batch ended ${batch.state}`);
      return undefined;
    },
  );
  if (!finished.done) throw new RunFailure('SPARK.TIMEOUT', `the batch did not finish within ${compute.timeoutMinutes} minutes`);
  const written = yield* calls.call(act.writeSparkPages, { run, source, pageSize, labels, pageCount });
  for (const page of written.pages) progress.record(page);
}
