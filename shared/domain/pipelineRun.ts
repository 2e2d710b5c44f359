import { PipelineSpec } from './pipelineSpec';

/** The orchestration that runs one training pipeline run. */
export const trainingPipelineName = 'trainingPipeline';

/** The external event that asks a running pipeline to stop and tear its compute down. */
export const cancelEventName = 'cancel';

/** What a training pipeline run starts with: everything it needs, fixed for the run's lifetime. */
export interface PipelineInput {
  pipeline: string;
  specVersion: number;
  spec: PipelineSpec;
  dataVersion: string;
  trigger: string;
  /** How often the orchestrator polls long operations (durable timers). */
  pollSeconds: number;
  /** Estimated cost rate of the compute while it exists (USD per hour). */
  computeCostPerHour: number;
  /** Nodes the compute bills for (head + workers; 0 locally): with the time it exists, the run's node-minutes. */
  computeNodes: number;
}

export type Stage = 'validate' | 'provision' | 'copy' | 'train' | 'select' | 'register' | 'deploy' | 'teardown' | 'done';

/** What every activity of a run gets instead of the spec: it loads the spec version by reference. */
export interface RunRef {
  pipeline: string;
  instanceId: string;
  specVersion: number;
}
