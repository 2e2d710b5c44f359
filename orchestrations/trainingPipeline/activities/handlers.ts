import { Composition } from '../../../shared/composition';
import { HandlersOf } from '../../durable/contract';
import { pipelineActivities } from '../contracts';
import { inputDataActivities } from './inputData';
import { runRecordActivities } from './runRecord';
import { selectionActivities } from './selection';

export type PipelineActivityDeps = Pick<Composition, 'blobs' | 'specs' | 'runs' | 'registry' | 'copier' | 'clock'>;

export function createPipelineActivities(deps: PipelineActivityDeps): HandlersOf<typeof pipelineActivities> {
  return { ...runRecordActivities(deps), ...inputDataActivities(deps), ...selectionActivities(deps) };
}
