import * as df from 'durable-functions';
import { OrchestrationContext, Task } from 'durable-functions';
import { scoringClusterName } from '../../shared/domain/naming';
import { DurableCalls, unwrap } from '../durable/calls';
import { CancelWatch } from '../durable/cancellation';
import { RunFailure } from '../durable/failures';
import { ClusterHandle, clusterHandle, provisionClusterOrchestration } from '../provisionCluster/contracts';
import { teardownClusterOrchestration } from '../teardownCluster/contracts';
import { CancellableWave } from './cancellableWave';
import { batchScoringActivities as act, BatchScoringInput, batchScoringName, BatchScoringSummary, PageDescriptor } from './contracts';
import { scoreOnSpark } from './scoreOnSpark';
import { scoreThroughScorer } from './scoreThroughScorer';
import { ScoringProgress } from './scoringProgress';
import { ScoringRun } from './scoringRun';

/** The Spark route's cluster: batch_score is one job over the whole source, not tuned per run. */
const clusterSize = { headVmSize: 'Standard_D12_v2', workerVmSize: 'Standard_D4_v2', workerNodes: 2 };
/** How long teardown waits for the cluster to go; past it, the reaper deletes it at its ledger expiry. */
const teardownTimeoutMinutes = 30;

/**
 * Scores every image under a source prefix with a registered model version: lists the source in
 * pages, scores the pages (through the model's deployments with bounded concurrency, or in one
 * `batch_score` Spark batch on a cluster of its own), writes one CSV per page, then `summary.json`
 * and a combined CSV. A page whose CSV exists is never scored again, so a resumed run only does
 * what is left. Cancel is the external event `cancel`; it interrupts every wait, and the cluster is
 * torn down in `finally` whatever happened.
 */
export function* batchScoring(context: OrchestrationContext): Generator<Task, BatchScoringSummary, unknown> {
  const input = context.df.getInput() as BatchScoringInput;
  const run = { instanceId: context.df.instanceId, model: input.model, version: input.version, output: input.output };
  const cancel = new CancelWatch(context);
  const calls = new DurableCalls(context, cancel);
  const progress = new ScoringProgress(context, input);
  const scoring: ScoringRun = { context, input, run, cancel, calls, wave: new CancellableWave(context, calls, cancel), progress };
  const cluster = clusterHandle(input.compute.target, scoringClusterName(run.instanceId), true);
  const batchIds: string[] = [];
  let provisioned = false;

  progress.publish();
  try {
    const pages = yield* listSource(scoring);
    if (input.via === 'scorer') {
      progress.enter('scoring');
      yield* scoreThroughScorer(scoring, pages);
    } else {
      progress.enter('provisioning');
      // Checked here, so that the child starts (and records its cluster) once `provisioned` says so.
      cancel.throwIfRequested();
      provisioned = true;
      yield* provision(scoring, cluster);
      progress.enter('scoring');
      yield* scoreOnSpark(scoring, cluster, pages.length, batchIds);
    }
    progress.succeeded();
  } catch (err) {
    progress.ended(err);
  } finally {
    progress.enter('summarizing');
    if (provisioned) yield* tearDown(scoring, cluster, batchIds);
    progress.finish();
    yield* calls.call(act.writeSummary, { run, summary: progress.summary });
    progress.enter('done');
  }
  return progress.summary;
}

/** The source's pages, a bounded number per activity call; a source with nothing to score ends the run. */
function* listSource({ input, wave, progress }: ScoringRun): Generator<Task, PageDescriptor[], unknown> {
  const { source, pageSize } = input;
  const pages: PageDescriptor[] = [];
  let continuation: string | undefined;
  do {
    const listing = yield* wave.call(act.listPages, { source, pageSize, continuation, firstIndex: pages.length }, 'RUN.FAILED');
    pages.push(...listing.pages);
    progress.listed(pages.length);
    continuation = listing.next;
  } while (continuation);
  if (pages.length === 0) throw new RunFailure('SOURCE.EMPTY', `no blobs under ${source.container}/${source.prefix} to score`);
  return pages;
}

/** The run's own cluster, ledgered and tagged as batch scoring's, with the standard tags the reaper and teardown go by. */
function* provision({ input, run, calls }: ScoringRun, cluster: ClusterHandle): Generator<Task, void, unknown> {
  const { maxLifetimeMinutes, timeoutMinutes } = input.compute;
  const owner = { pipeline: `batch-scoring:${run.model}`, instanceId: run.instanceId, purpose: 'batch-scoring' as const };
  const provisionInput = { owner, cluster, size: clusterSize, maxLifetimeMinutes, timeoutMinutes, pollSeconds: input.pollSeconds };
  unwrap(yield* calls.child(provisionClusterOrchestration, provisionInput, `${run.instanceId}:${provisionClusterOrchestration.name}`));
}

/** Not cancellable: it is what a cancel leads to. It kills the run's batch and deletes the cluster. */
function* tearDown({ context, input, run }: ScoringRun, cluster: ClusterHandle, batchIds: string[]): Generator<Task, void, unknown> {
  const teardownInput = { cluster, batchIds, keep: false, pollSeconds: input.pollSeconds, timeoutMinutes: teardownTimeoutMinutes };
  yield* new DurableCalls(context).child(
    teardownClusterOrchestration,
    teardownInput,
    `${run.instanceId}:${teardownClusterOrchestration.name}`,
  );
}

df.app.orchestration(batchScoringName, batchScoring);
