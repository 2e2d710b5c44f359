import { registerActivities } from '../../hosting/registerActivities';
import { pipelineActivities } from '../contracts';
import { createPipelineActivities } from './handlers';

registerActivities(pipelineActivities, createPipelineActivities);
