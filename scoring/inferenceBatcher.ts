import { concatRows, EncodedRows, Prediction } from './predictor';

export type BatchingMode = 'auto' | 'on' | 'off';

export interface BatchingOptions {
  /** Off: every request runs its own inference, concurrently. */
  enabled: boolean;
  /** Rows per coalesced inference at most (a single larger request still runs alone). */
  maxRows: number;
  /** How long the first queued request waits for company when nothing is running; 0 = not at all. */
  windowMs: number;
}

interface Waiting {
  rows: EncodedRows;
  resolve: (predictions: Prediction[]) => void;
  reject: (err: unknown) => void;
}

/**
 * Coalesces concurrent requests into one inference. One inference runs at a time; requests that
 * arrive while it runs queue up and go together as the next one (up to `maxRows`). An idle server
 * therefore adds no latency (unless `windowMs` asks it to wait), and a busy one pays the per-run
 * overhead once per batch instead of once per request.
 */
export class InferenceBatcher {
  readonly #queue: Waiting[] = [];
  #running = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly infer: (rows: EncodedRows) => Promise<Prediction[]>,
    private readonly opts: BatchingOptions,
  ) {}

  submit(rows: EncodedRows): Promise<Prediction[]> {
    if (!this.opts.enabled) return this.infer(rows);
    return new Promise((resolve, reject) => {
      this.#queue.push({ rows, resolve, reject });
      this.#schedule();
    });
  }

  #queuedRows(): number {
    return this.#queue.reduce((n, w) => n + w.rows.count, 0);
  }

  #schedule(): void {
    if (this.#running || this.#queue.length === 0) return;
    if (this.opts.windowMs > 0 && this.#queuedRows() < this.opts.maxRows) {
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        void this.#runNext();
      }, this.opts.windowMs);
      return;
    }
    void this.#runNext();
  }

  async #runNext(): Promise<void> {
    if (this.#running || this.#queue.length === 0) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch: Waiting[] = [this.#queue.shift() as Waiting];
    let rows = batch[0].rows.count;
    while (this.#queue.length > 0 && rows + this.#queue[0].rows.count <= this.opts.maxRows) {
      const next = this.#queue.shift() as Waiting;
      rows += next.rows.count;
      batch.push(next);
    }
    this.#running = true;
    try {
      const predictions = await this.infer(concatRows(batch.map((w) => w.rows)));
      let offset = 0;
      for (const waiting of batch) {
        waiting.resolve(predictions.slice(offset, offset + waiting.rows.count));
        offset += waiting.rows.count;
      }
    } catch (err) {
      for (const waiting of batch) waiting.reject(err);
    } finally {
      this.#running = false;
      // Whoever queued meanwhile has waited already: run them now, without a window.
      if (this.#queue.length > 0) void this.#runNext();
    }
  }
}

/**
 * `auto` batches only where one run of many rows beats many runs of one, as measured with the jobs'
 * packages (bench/modelServerBatching.js): a tabular graph costs ~0.3–0.6 ms per run and almost
 * nothing per row, so batching wins; SqueezeNet at 224×224 is compute-bound, and a batch of 16 took as
 * long as or longer than 16 single runs, so image models run each request on its own.
 */
export function batchingEnabled(mode: BatchingMode, task: string): boolean {
  return mode === 'on' || (mode === 'auto' && task === 'tabular-classification');
}
