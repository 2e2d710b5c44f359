import { OrchestrationContext, Task } from 'durable-functions';
import { CancelWatch } from '../durable/cancellation';
import { DurableCalls } from '../durable/calls';
import { SubOrchestrationContract, Tagged } from '../durable/contract';
import { teardownClusterOrchestration, TeardownInput } from '../teardownCluster/contracts';
import { pipelineActivities as act, RunRef, Stage } from './contracts';
import { RunProgress } from './runProgress';

/** The bookkeeping around a run's stages: progress in the custom status and run document, children, cancel. */
export class RunStages {
  constructor(
    private readonly context: OrchestrationContext,
    private readonly run: RunRef,
    private readonly calls: DurableCalls,
    private readonly cancel: CancelWatch,
    readonly progress: RunProgress,
  ) {}

  /** A stage of the run proper: a cancel that came during the last one ends the run here. */
  *begin(stage: Stage): Generator<Task, void, unknown> {
    this.cancel.throwIfRequested();
    yield* this.enter(stage);
  }

  *enter(stage: Stage): Generator<Task, void, unknown> {
    this.progress.enter(stage);
    try {
      yield* this.calls.attempt(act.recordRunProgress, this.progress.record(this.run));
    } catch {
      // A run document that missed a stage catches up at the next one; the run itself goes on.
    }
  }

  /** Runs a child under `<instance>:<name>`, named in the custom status while it runs (its status has the live detail). */
  *child<In, Out>(contract: SubOrchestrationContract<In, Out>, input: In, via = this.calls): Generator<Task, Tagged<Out>, unknown> {
    const instanceId = `${this.run.instanceId}:${contract.name}`;
    this.progress.status.activeChild = instanceId;
    this.progress.publish();
    const result = yield* via.child(contract, input, instanceId);
    this.progress.status.activeChild = undefined;
    return result;
  }

  /** Not cancellable (it is what a cancel leads to), and never masks the run's own result: a failure is `tornDown: false`. */
  *tearDown(input: TeardownInput): Generator<Task, boolean, unknown> {
    try {
      const teardown = yield* this.child(teardownClusterOrchestration, input, new DurableCalls(this.context));
      return teardown.ok && teardown.tornDown;
    } catch {
      return false;
    }
  }
}
