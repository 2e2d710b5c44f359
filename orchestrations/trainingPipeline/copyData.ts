import { Task } from 'durable-functions';
import { CancelWatch } from '../durable/cancellation';
import { DurableCalls } from '../durable/calls';
import { RunFailure } from '../durable/failures';
import { pipelineActivities as act, RunRef } from './contracts';
import { RunProgress } from './runProgress';

/** How often a page with failed blobs is copied again: a failure can be a passing fault, and a retry copies only what failed. */
const pageAttempts = 2;

/** Copies the source into the run's snapshot, a page at a time; a page whose blobs still fail after a retry ends the run. */
export function* copyData(calls: DurableCalls, cancel: CancelWatch, run: RunRef, progress: RunProgress): Generator<Task, void, unknown> {
  const counts = (progress.status.copy = { copied: 0, skipped: 0, failed: 0 });
  let continuation: string | undefined;
  do {
    cancel.throwIfRequested();
    let page = yield* calls.call(act.copyDataPage, { run, continuation });
    counts.skipped += page.skipped;
    for (let attempt = 2; page.failed > 0 && attempt <= pageAttempts; attempt++) {
      counts.copied += page.copied;
      // What the last attempt copied, this one skips: only its copies and failures are new.
      page = yield* calls.call(act.copyDataPage, { run, continuation });
    }
    counts.copied += page.copied;
    counts.failed += page.failed;
    progress.publish();
    if (page.failed > 0) throw new RunFailure('DATA.COPY_FAILED', `${page.failed} blobs could not be copied: ${page.failures.join(', ')}`);
    continuation = page.next;
  } while (continuation);
}
