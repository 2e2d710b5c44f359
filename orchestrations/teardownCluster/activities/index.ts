import { registerActivities } from '../../hosting/registerActivities';
import { teardownActivities } from '../contracts';
import { createTeardownActivities } from './handlers';

registerActivities(teardownActivities, createTeardownActivities);
