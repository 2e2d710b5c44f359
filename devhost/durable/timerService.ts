/** Longest delay setTimeout accepts; longer durable timers re-arm until they are due. */
const maxTimeoutMs = 2 ** 31 - 1;

/** In-process alarms for durable timers; the timers themselves live in history and are re-armed on load. */
export class TimerService {
  readonly #handles = new Set<NodeJS.Timeout>();
  #stopped = false;

  at(fireAt: Date, fire: () => void): void {
    if (this.#stopped) return;
    const delay = fireAt.getTime() - Date.now();
    const handle = setTimeout(
      () => {
        this.#handles.delete(handle);
        if (delay > maxTimeoutMs) this.at(fireAt, fire);
        else fire();
      },
      Math.max(0, Math.min(delay, maxTimeoutMs)),
    );
    this.#handles.add(handle);
  }

  stop(): void {
    this.#stopped = true;
    for (const handle of this.#handles) clearTimeout(handle);
    this.#handles.clear();
  }
}
