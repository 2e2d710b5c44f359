import * as df from 'durable-functions';
import { OrchestrationContext, Task } from 'durable-functions';
import { candidateGrid } from '../../shared/domain/candidateGrid';
import { CancelWatch } from '../durable/cancellation';
import { DurableCalls, unwrap } from '../durable/calls';
import { errorOf, isCancellation, RunFailure } from '../durable/failures';
import { deployModelOrchestration } from '../deployModel/contracts';
import { provisionClusterOrchestration } from '../provisionCluster/contracts';
import { trainCandidatesOrchestration } from '../trainCandidates/contracts';
import { deployInput, provisionInput, teardownInput, trainingCluster, trainInput } from './childInputs';
import { pipelineActivities as act, PipelineInput, PipelineSummary, RunRef, trainingPipelineName } from './contracts';
import { copyData } from './copyData';
import { RunProgress } from './runProgress';
import { RunStages } from './runStages';

/**
 * One pipeline run: validate, provision, copy, train the candidate grid, select, register,
 * deploy — and tear the compute down in `finally`, whatever happened. Cancel is the external
 * event `cancel`; it interrupts every wait here and is forwarded to the child the run waits on.
 */
export function* trainingPipeline(context: OrchestrationContext): Generator<Task, PipelineSummary, unknown> {
  const input = context.df.getInput() as PipelineInput;
  const run: RunRef = { pipeline: input.pipeline, instanceId: context.df.instanceId, specVersion: input.specVersion };
  const grid = candidateGrid(input.spec);
  const cancel = new CancelWatch(context);
  const calls = new DurableCalls(context, cancel);
  const progress = new RunProgress(context, input, grid.length);
  const stages = new RunStages(context, run, calls, cancel, progress);
  const cluster = trainingCluster(input, run);
  const summary: PipelineSummary = {
    pipelineStatus: 'failed',
    candidates: { total: grid.length, succeeded: 0, failed: 0 },
    tornDown: false,
    stageSeconds: progress.stageSeconds,
  };
  let batchIds: string[] = [];
  let provisioned = false;

  const { dataVersion, trigger } = input;
  yield* calls.call(act.recordRunStart, { run, dataVersion, trigger, startedAt: progress.status.startedAt, candidates: grid.length });
  progress.publish();
  try {
    yield* calls.call(act.checkInputData, { run });

    yield* stages.begin('provision');
    provisioned = true;
    progress.computeStarted();
    unwrap(yield* stages.child(provisionClusterOrchestration, provisionInput(input, run, cluster)));

    yield* stages.begin('copy');
    yield* copyData(calls, cancel, run, progress);

    yield* stages.begin('train');
    const trained = unwrap(yield* stages.child(trainCandidatesOrchestration, trainInput(input, run, cluster, grid)));
    batchIds = trained.batchIds;
    const succeeded = trained.outcomes.filter((o) => o.ok).length;
    summary.candidates = { total: grid.length, succeeded, failed: trained.outcomes.length - succeeded };
    Object.assign(progress.status.candidates, { done: succeeded, failed: summary.candidates.failed, running: 0 });
    if (succeeded === 0) throw new RunFailure('TRAIN.ALL_FAILED', 'every candidate failed');

    yield* stages.begin('select');
    const selection = yield* calls.call(act.selectModel, { run });
    summary.best = selection.best;

    yield* stages.begin('register');
    const { model, version, packageUri } = yield* calls.call(act.registerModel, { run, best: selection.best, dataVersion });
    summary.decision = { promoted: selection.promote, reason: selection.reason, modelVersion: version };

    if (selection.promote) {
      yield* stages.begin('deploy');
      const registered = { model, version, packageUri };
      const { name, endpoint, scoredLabel } = unwrap(yield* stages.child(deployModelOrchestration, deployInput(input, run, registered)));
      summary.deployed = { name, endpoint, scoredLabel };
    }
    summary.pipelineStatus = 'succeeded';
  } catch (err) {
    summary.pipelineStatus = isCancellation(err) ? 'cancelled' : 'failed';
    progress.status.cancelRequested = isCancellation(err) || undefined;
    summary.error = errorOf(err);
  } finally {
    yield* stages.enter('teardown');
    summary.tornDown = provisioned ? yield* stages.tearDown(teardownInput(input, cluster, batchIds, summary.pipelineStatus)) : true;
    progress.enter('done');
    const { costUsd, nodeMinutes } = progress.record(run);
    yield* calls.call(act.recordRunEnd, { run, summary, endedAt: context.df.currentUtcDateTime.toISOString(), costUsd, nodeMinutes });
  }
  return summary;
}

df.app.orchestration(trainingPipelineName, trainingPipeline);
