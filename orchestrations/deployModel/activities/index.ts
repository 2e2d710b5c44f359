import { registerActivities } from '../../hosting/registerActivities';
import { deployActivities } from '../contracts';
import { createDeployActivities } from './handlers';

registerActivities(deployActivities, createDeployActivities);
