import { Task } from 'durable-functions';
import { CancelWatch } from '../durable/cancellation';
import { DurableCalls } from '../durable/calls';
import { RunFailure } from '../durable/failures';
import { pipelineActivities as act, RunRef } from './contracts';
import { RunProgress } from './runProgress';

/** Copies the source into the run's snapshot, a page at a time; a page with failures ends the run. */
export function* copyData(calls: DurableCalls, cancel: CancelWatch, run: RunRef, progress: RunProgress): Generator<Task, void, unknown> {
  const counts = (progress.status.copy = { copied: 0, skipped: 0, failed: 0 });
  let continuation: string | undefined;
  do {
    cancel.throwIfRequested();
    const page = yield* calls.call(act.copyDataPage, { run, continuation });
    counts.copied += page.copied;
    counts.skipped += page.skipped;
    counts.failed += page.failed;
    progress.publish();
    if (page.failed > 0) throw new RunFailure('DATA.COPY_FAILED', `${page.failed} blobs could not be copied: ${page.failures.join(', ')}`);
    continuation = page.next;
  } while (continuation);
}
