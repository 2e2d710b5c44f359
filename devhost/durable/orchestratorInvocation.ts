import { RegisteredFunction } from '../coreApi';
import { Invoker } from '../invoker';
import { DurableTarget } from './durableFunctionIndex';
import { HistoryEvent } from './historyEvents';
import { OrchestratorReply } from './sdkActions';
import { fromTypedData } from './typedData';

/** The JSON the extension passes as the orchestration trigger (DurableOrchestrationBindingInfo). */
export interface OrchestrationTriggerInput {
  history: HistoryEvent[];
  input: unknown;
  instanceId: string;
  isReplaying: boolean;
  parentInstanceId?: string;
  upperSchemaVersion: number;
  upperSchemaVersionNew: number;
  maximumShortTimerDuration: string;
  longRunningTimerIntervalDuration: string;
  defaultHttpAsyncRequestSleepTimeMillseconds: number;
}

/** OOProc replay schema V4: compound actions, durable HTTP polling in the SDK, entity locks. */
export const replaySchemaVersion = 3;

export type EpisodeOutcome = { reply: OrchestratorReply; failure?: { message: string; stack?: string } };

const outOfProcDataLabel = '\n\n$OutOfProcData$:';

type OrchestratorContext = { df?: { taskOrchestratorExecutor?: { exception?: unknown } } };

/**
 * The SDK reports an orchestrator's exception by message only (its OrchestrationFailureError drops
 * the stack); the executor it leaves on `context.df` still holds the original error, stack included.
 */
function withOriginalStack(fn: RegisteredFunction): RegisteredFunction {
  const callback = async (...args: unknown[]): Promise<unknown> => {
    try {
      return await fn.callback(...args);
    } catch (err) {
      const original = (args[1] as OrchestratorContext | undefined)?.df?.taskOrchestratorExecutor?.exception;
      if (err instanceof Error && original instanceof Error && original.stack) err.stack = original.stack;
      throw err;
    }
  };
  return { metadata: fn.metadata, callback };
}

/**
 * Runs the orchestrator over its history. A failing orchestrator throws an error whose message
 * carries its state after a marker; the message before it is the orchestrator's own error.
 */
export async function invokeOrchestrator(
  invoker: Invoker,
  target: DurableTarget,
  trigger: OrchestrationTriggerInput,
): Promise<EpisodeOutcome> {
  const outcome = await invoker.invoke(withOriginalStack(target.fn), {
    inputData: [{ name: target.triggerName, data: { json: JSON.stringify(trigger) } }],
    triggerMetadata: {},
  });
  if (outcome.ok) {
    const reply = fromTypedData(outcome.response.returnValue) as OrchestratorReply | undefined;
    if (!reply || !Array.isArray(reply.actions)) {
      return {
        reply: { isDone: false, actions: [] },
        failure: { message: 'The orchestrator function returned no orchestration state; is it registered with df.app.orchestration?' },
      };
    }
    return { reply };
  }
  const text = outcome.error.message;
  const marker = text.indexOf(outOfProcDataLabel);
  if (marker < 0) return { reply: { isDone: false, actions: [] }, failure: { message: text, stack: outcome.error.stack } };
  const reply = JSON.parse(text.slice(marker + outOfProcDataLabel.length)) as OrchestratorReply;
  return { reply, failure: { message: reply.error ?? text.slice(0, marker), stack: outcome.error.stack } };
}
