import { PipelineSpec } from '../../shared/domain/pipelineSpec';
import { permanent } from '../../shared/errors';
import { SpecStore } from '../../shared/ports/specStore';

/** A stored spec version never changes, so each process reads it once. */
const specs = new Map<string, PipelineSpec>();

/** The spec a run runs: activities get a reference (pipeline, version), never the spec itself. */
export async function specOf(store: SpecStore, run: { pipeline: string; specVersion: number }): Promise<PipelineSpec> {
  const key = `${run.pipeline}@${run.specVersion}`;
  const cached = specs.get(key);
  if (cached) return cached;
  const stored = await store.get(run.pipeline, run.specVersion);
  if (!stored) throw permanent('SPEC.NOT_FOUND', `pipeline ${run.pipeline} has no spec version ${run.specVersion}`);
  specs.set(key, stored.spec);
  return stored.spec;
}
