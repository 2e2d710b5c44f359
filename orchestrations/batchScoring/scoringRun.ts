import { OrchestrationContext } from 'durable-functions';
import { DurableCalls } from '../durable/calls';
import { CancelWatch } from '../durable/cancellation';
import { CancellableWave } from './cancellableWave';
import { BatchScoringInput, RunContext } from './contracts';
import { ScoringProgress } from './scoringProgress';

/** What the phases of one batch scoring run share. */
export interface ScoringRun {
  context: OrchestrationContext;
  input: BatchScoringInput;
  run: RunContext;
  cancel: CancelWatch;
  calls: DurableCalls;
  wave: CancellableWave;
  progress: ScoringProgress;
}
