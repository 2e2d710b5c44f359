import { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { Composition } from '../../shared/composition';
import { ApiError } from './http';

/** A run's record, its candidates and its orchestration status, read together; 404 when none of them knows the run. */
export async function loadRun(comp: Composition, context: InvocationContext, pipeline: string, instanceId: string) {
  const [run, candidates, status] = await Promise.all([
    comp.runs.getPipelineRun(pipeline, instanceId),
    comp.runs.listCandidateRuns(pipeline, instanceId),
    df
      .getClient(context)
      .getStatus(instanceId, { showInput: false })
      .catch(() => undefined),
  ]);
  if (!run && !status?.runtimeStatus) throw new ApiError(404, 'RUN.NOT_FOUND', `pipeline ${pipeline} has no run ${instanceId}`);
  return { run, candidates, status };
}
