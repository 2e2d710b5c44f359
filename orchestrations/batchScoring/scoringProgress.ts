import { OrchestrationContext } from 'durable-functions';
import { errorOf, isCancellation } from '../durable/failures';
import { BatchScoringInput, BatchScoringStatus, BatchScoringSummary, PageResult, Phase } from './contracts';

const maxFailureSamples = 20;

/** Seconds from `a` to `b`, to a tenth. */
const secondsBetween = (a: Date, b: Date): number => Math.round((b.getTime() - a.getTime()) / 100) / 10;

/** Where a run is (its custom status) and what it has scored so far (its summary, time per phase included). */
export class ScoringProgress {
  readonly status: BatchScoringStatus;
  readonly summary: BatchScoringSummary;
  private readonly startedAt: Date;
  private phaseStartedAt: Date;

  constructor(
    private readonly context: OrchestrationContext,
    input: BatchScoringInput,
  ) {
    this.startedAt = context.df.currentUtcDateTime;
    this.phaseStartedAt = this.startedAt;
    const { model, version, via, source, output, labels } = input;
    this.status = {
      phase: 'listing',
      via,
      pages: { total: 0, done: 0, resumed: 0 },
      images: { scored: 0, failed: 0 },
      startedAt: this.startedAt.toISOString(),
      elapsedSeconds: 0,
      output: `${output.container}/${output.prefix}`,
    };
    this.summary = {
      status: 'failed',
      model,
      version,
      via,
      source,
      output,
      labels,
      pages: { total: 0, written: 0, resumed: 0 },
      total: 0,
      scored: 0,
      failed: 0,
      perClass: Object.fromEntries(labels.map((l) => [l, 0])),
      failures: [],
      seconds: {},
      startedAt: this.status.startedAt,
    };
  }

  publish(): void {
    this.status.elapsedSeconds = secondsBetween(this.startedAt, this.context.df.currentUtcDateTime);
    this.context.df.setCustomStatus(this.status);
  }

  enter(phase: Phase): void {
    const now = this.context.df.currentUtcDateTime;
    const { seconds } = this.summary;
    seconds[this.status.phase] = (seconds[this.status.phase] ?? 0) + secondsBetween(this.phaseStartedAt, now);
    this.phaseStartedAt = now;
    this.status.phase = phase;
    this.publish();
  }

  listed(pages: number): void {
    this.status.pages.total = this.summary.pages.total = pages;
    this.publish();
  }

  record(page: PageResult): void {
    const { summary, status } = this;
    summary.pages.written += page.resumed ? 0 : 1;
    summary.pages.resumed += page.resumed ? 1 : 0;
    summary.total += page.rows;
    summary.scored += page.scored;
    summary.failed += page.failed;
    for (const [label, count] of Object.entries(page.perClass)) summary.perClass[label] = (summary.perClass[label] ?? 0) + count;
    for (const failure of page.failures) if (summary.failures.length < maxFailureSamples) summary.failures.push(failure);
    status.pages.done++;
    status.pages.resumed = summary.pages.resumed;
    status.images = { scored: summary.scored, failed: summary.failed };
    this.publish();
  }

  succeeded(): void {
    this.summary.status = 'succeeded';
  }

  /** The run ended on `err`: cancelled, or failed with its code. */
  ended(err: unknown): void {
    const cancelled = isCancellation(err);
    this.summary.status = cancelled ? 'cancelled' : 'failed';
    this.summary.error = errorOf(err);
    if (cancelled) this.status.cancelRequested = true;
  }

  finish(): void {
    const now = this.context.df.currentUtcDateTime;
    this.summary.endedAt = now.toISOString();
    this.summary.seconds.total = secondsBetween(this.startedAt, now);
  }
}
