import { BatchScoringActivityDeps, BatchScoringHandlers } from './deps';
import { listPagesActivity } from './listPages';
import { scorePageActivity } from './scorePage';
import { sparkActivities } from './spark';
import { writeSummaryActivity } from './summary';

/** Batch scoring's activities, built from ports; each is idempotent (a page already written is never scored again). */
export function createBatchScoringActivities(deps: BatchScoringActivityDeps): BatchScoringHandlers {
  return { ...listPagesActivity(deps), ...scorePageActivity(deps), ...sparkActivities(deps), ...writeSummaryActivity(deps) };
}
