import { RegisteredFunction } from '../coreApi';

export interface DurableTarget {
  fn: RegisteredFunction;
  /** The name of the trigger binding, under which the invocation passes the trigger input. */
  triggerName: string;
}

function triggerOf(fn: RegisteredFunction): [string, string] | undefined {
  const entry = Object.entries(fn.metadata.bindings).find(([, b]) => b.type?.toLowerCase().endsWith('trigger'));
  return entry ? [entry[0], entry[1].type?.toLowerCase() ?? ''] : undefined;
}

/** The app's orchestrator, activity and entity functions by (case-insensitive) name. */
export class DurableFunctionIndex {
  readonly #byType = new Map<string, Map<string, DurableTarget>>();

  constructor(functions: RegisteredFunction[]) {
    for (const fn of functions) {
      const trigger = triggerOf(fn);
      if (!trigger) continue;
      const [triggerName, type] = trigger;
      let byName = this.#byType.get(type);
      if (!byName) this.#byType.set(type, (byName = new Map()));
      byName.set(fn.metadata.name.toLowerCase(), { fn, triggerName });
    }
  }

  orchestrator(name: string): DurableTarget | undefined {
    return this.#byType.get('orchestrationtrigger')?.get(name.toLowerCase());
  }

  activity(name: string): DurableTarget | undefined {
    return this.#byType.get('activitytrigger')?.get(name.toLowerCase());
  }

  entity(name: string): DurableTarget | undefined {
    return this.#byType.get('entitytrigger')?.get(name.toLowerCase());
  }
}
