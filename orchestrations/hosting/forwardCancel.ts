import * as df from 'durable-functions';
import { InvocationContext } from '@azure/functions';
import { cancelEventName, forwardCancel } from '../durable/cancellation';

const client = df.input.durableClient();

df.app.activity(forwardCancel.name, {
  extraInputs: [client],
  handler: async (input: unknown, context: InvocationContext) => {
    const { instanceId } = input as { instanceId: string };
    const durable = df.getClient(context);
    const status = await durable.getStatus(instanceId, { showInput: false }).catch(() => undefined);
    const live = [df.OrchestrationRuntimeStatus.Running, df.OrchestrationRuntimeStatus.Pending, df.OrchestrationRuntimeStatus.Suspended];
    if (status?.runtimeStatus && live.includes(status.runtimeStatus)) await durable.raiseEvent(instanceId, cancelEventName, 'cancel');
    return { ok: true };
  },
});
