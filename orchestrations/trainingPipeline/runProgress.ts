import { OrchestrationContext } from 'durable-functions';
import { PipelineInput, PipelineStatus, RunProgressRecord, RunRef, Stage } from './contracts';

/** Seconds from `a` to `b`, to a tenth. */
const secondsBetween = (a: Date, b: Date): number => Math.round((b.getTime() - a.getTime()) / 100) / 10;

/** Where a run is, in its custom status and its run document: stage, time per stage, candidates, cost so far. */
export class RunProgress {
  readonly status: PipelineStatus;
  readonly stageSeconds: Record<string, number> = {};
  private readonly startedAt: Date;
  private stageStartedAt: Date;
  private computeSince?: Date;

  constructor(
    private readonly context: OrchestrationContext,
    private readonly input: PipelineInput,
    candidates: number,
  ) {
    this.startedAt = context.df.currentUtcDateTime;
    this.stageStartedAt = this.startedAt;
    this.status = {
      stage: 'validate',
      candidates: { total: candidates, done: 0, failed: 0, running: 0 },
      startedAt: this.startedAt.toISOString(),
      elapsedSeconds: 0,
      estimatedCostUsd: 0,
      nodeMinutes: 0,
    };
  }

  enter(stage: Stage): void {
    const now = this.context.df.currentUtcDateTime;
    this.stageSeconds[this.status.stage] = (this.stageSeconds[this.status.stage] ?? 0) + secondsBetween(this.stageStartedAt, now);
    this.stageStartedAt = now;
    this.status.stage = stage;
    this.publish();
  }

  /** The compute bills from here on. */
  computeStarted(): void {
    this.computeSince ??= this.context.df.currentUtcDateTime;
  }

  publish(): void {
    const now = this.context.df.currentUtcDateTime;
    this.status.elapsedSeconds = secondsBetween(this.startedAt, now);
    const computeSeconds = this.computeSince ? secondsBetween(this.computeSince, now) : 0;
    this.status.estimatedCostUsd = Math.round(((this.input.computeCostPerHour * computeSeconds) / 3600) * 100) / 100;
    this.status.nodeMinutes = Math.round(((this.input.computeNodes ?? 0) * computeSeconds) / 6) / 10;
    this.context.df.setCustomStatus(this.status);
  }

  record(run: RunRef): RunProgressRecord {
    const { total, done, failed } = this.status.candidates;
    return {
      run,
      stage: this.status.stage,
      stageSeconds: this.stageSeconds,
      candidates: { total, succeeded: done, failed },
      costUsd: this.status.estimatedCostUsd,
      nodeMinutes: this.status.nodeMinutes,
    };
  }
}
