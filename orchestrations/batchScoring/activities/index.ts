import { registerActivities } from '../../hosting/registerActivities';
import { batchScoringActivities } from '../contracts';
import { createBatchScoringActivities } from './handlers';

registerActivities(batchScoringActivities, createBatchScoringActivities);
