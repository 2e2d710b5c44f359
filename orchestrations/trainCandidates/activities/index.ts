import { registerActivities } from '../../hosting/registerActivities';
import { trainActivities } from '../contracts';
import { createTrainActivities } from './handlers';

registerActivities(trainActivities, createTrainActivities);
