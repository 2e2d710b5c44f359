import { Task } from 'durable-functions';
import { unwrap } from '../durable/calls';
import { batchScoringActivities as act, PageDescriptor } from './contracts';
import { ScoringRun } from './scoringRun';

/**
 * Scores the pages through the model's deployments, in waves of `concurrency` pages, each wave one
 * `Task.all` of tasks yielded once. A sliding window (`Task.any` over tasks yielded before) would
 * be better packed, but the SDK schedules such tasks again (azure-functions-durable-js#574), which
 * would score pages twice.
 */
export function* scoreThroughScorer({ input, run, wave, progress }: ScoringRun, pages: PageDescriptor[]): Generator<Task, void, unknown> {
  const { source, pageSize, labels, concurrency } = input;
  for (let at = 0; at < pages.length; at += concurrency) {
    const inputs = pages.slice(at, at + concurrency).map((page) => ({ run, source, page, pageSize, labels }));
    const results = yield* wave.all(act.scorePage, inputs, 'SCORE.PAGE_FAILED');
    for (const result of results) progress.record(unwrap(result));
  }
}
