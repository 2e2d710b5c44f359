import { registerActivities } from '../activities/registerActivities';
import { activities } from './contracts';
import { createActivities } from './pipeline.activities';

registerActivities(activities, createActivities);
