import { registerActivities } from '../../hosting/registerActivities';
import { provisionActivities } from '../contracts';
import { createProvisionActivities } from './handlers';

registerActivities(provisionActivities, createProvisionActivities);
