import { registerActivities } from '../activities/registerActivities';
import { createActivities } from './batchScoring.activities';
import { activities } from './contracts';

registerActivities(activities, createActivities);
