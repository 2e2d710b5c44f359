import { Composition } from '../../../shared/composition';
import { HandlersOf } from '../../durable/contract';
import { batchScoringActivities } from '../contracts';

/** What batch scoring's activities are built from. */
export type BatchScoringActivityDeps = Pick<Composition, 'blobs' | 'registry' | 'compute'>;

export type BatchScoringHandlers = HandlersOf<typeof batchScoringActivities>;
