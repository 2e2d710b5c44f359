import { PipelineRun } from './runStore';

/** Which run holds a pipeline: the one-run-per-pipeline rule, as one document per pipeline. */
export interface PipelineClaim {
  instanceId: string;
  /** Tells apart two starts of the same instance id: only the one whose token holds the claim starts it. */
  token: string;
  claimedAt: string;
}

/** The per-pipeline claims that make "one run per pipeline" hold under concurrent starts. */
export interface RunClaims {
  /**
   * Takes the pipeline's claim for `wanted`, replacing a current holder only when `canReplace(current)` says it is over.
   * Atomic (an ETag-guarded write): of concurrent callers exactly one gets its own claim back; the others get the
   * winner's. Returns the claim that holds afterwards.
   */
  claim(pipeline: string, wanted: PipelineClaim, canReplace: (current: PipelineClaim) => Promise<boolean>): Promise<PipelineClaim>;
  /** Every pipeline's runs still recorded as running, for the reaper to settle those whose orchestration ended without saying so. */
  listRunningRuns(): Promise<PipelineRun[]>;
}
