import { PipelineSpec } from './pipelineSpec';

/** The run a location belongs to. */
export interface RunIdentity {
  pipeline: string;
  instanceId: string;
}

export interface BlobPrefix {
  container: string;
  prefix: string;
}

/** Where a run's copy of the data lives: one snapshot per run, the lineage of its models. */
export function dataSnapshot(run: RunIdentity, spec: PipelineSpec): BlobPrefix {
  const working = spec.data.working;
  return { container: working.container, prefix: `${working.prefix}${run.pipeline}/${run.instanceId}/data/` };
}

/** Where a tabular run's ETL writes the features every candidate trains on. */
export function etlOutput(run: RunIdentity, spec: PipelineSpec): BlobPrefix {
  const artifacts = spec.data.artifacts;
  return { container: artifacts.container, prefix: `${artifacts.prefix}${run.pipeline}/${run.instanceId}/etl/` };
}

/** What a run's candidates train on: the ETL's features for tabular runs, the data snapshot for images. */
export function trainingInput(run: RunIdentity, spec: PipelineSpec): BlobPrefix {
  return spec.scenario === 'tabular-classification' ? etlOutput(run, spec) : dataSnapshot(run, spec);
}

/** Where a run's candidates write, each under `<candidate id>/`: a grid batch's output. */
export function candidatesOutput(run: RunIdentity, spec: PipelineSpec): BlobPrefix {
  const artifacts = spec.data.artifacts;
  return { container: artifacts.container, prefix: `${artifacts.prefix}${run.pipeline}/${run.instanceId}/` };
}

export function candidateOutput(run: RunIdentity, spec: PipelineSpec, candidateId: string): BlobPrefix {
  const all = candidatesOutput(run, spec);
  return { container: all.container, prefix: `${all.prefix}${candidateId}/` };
}
