import { emptyWindow, MetricsWindow, mergeWindow, recordInto, windowStartOf } from '../../shared/domain/deploymentMetrics';
import { DeploymentMetricsStore } from '../../shared/ports/deploymentMetrics';

/**
 * Aggregates scoring outcomes in memory and adds them to the store every `flushSeconds`, so a request costs no
 * write. A failed flush keeps its windows for the next one. The timer is unref'd: it never holds a process open.
 */
export class MetricsRecorder {
  #pending = new Map<string, MetricsWindow>();
  #flushing: Promise<void> | undefined;
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly store: DeploymentMetricsStore,
    flushSeconds: number,
    onFlushError: (err: unknown) => void,
  ) {
    this.#timer = setInterval(() => void this.flush().catch(onFlushError), flushSeconds * 1000);
    this.#timer.unref();
  }

  record(outcome: { model: string; deployment: string; version: number; latencyMs: number; failed: boolean; at: Date }): void {
    const windowStart = windowStartOf(outcome.at);
    const key = `${outcome.model}\n${outcome.deployment}\n${windowStart}`;
    let window = this.#pending.get(key);
    if (!window) {
      window = emptyWindow(outcome.model, outcome.deployment, outcome.version, windowStart);
      this.#pending.set(key, window);
    }
    recordInto(window, outcome.latencyMs, outcome.failed);
  }

  /** Adds everything recorded so far to the store; concurrent calls share one flush after the running one. */
  async flush(): Promise<void> {
    // A flush that failed already put its windows back; this one carries them.
    while (this.#flushing) await this.#flushing.catch(() => undefined);
    if (this.#pending.size === 0) return;
    const batch = this.#pending;
    this.#pending = new Map();
    this.#flushing = this.store.add([...batch.values()]).catch((err: unknown) => {
      // Put the windows back (merged with anything recorded meanwhile) for the next flush.
      for (const [key, window] of batch) {
        const newer = this.#pending.get(key);
        this.#pending.set(key, newer ? mergeWindow(window, newer) : window);
      }
      throw err;
    });
    try {
      await this.#flushing;
    } finally {
      this.#flushing = undefined;
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
