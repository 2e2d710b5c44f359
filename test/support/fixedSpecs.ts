import { PipelineSpec } from '../../shared/domain/pipelineSpec';
import { SpecStore } from '../../shared/ports/specStore';

/** A spec store holding the given specs, as version `i + 1` of their pipelines: activities load specs by reference. */
export function fixedSpecs(...specs: PipelineSpec[]): SpecStore {
  const stored = specs.map((spec, i) => ({ name: spec.name, version: i + 1, spec, createdAt: '2026-01-01T00:00:00.000Z' }));
  return {
    get: async (name, version) => stored.find((s) => s.name === name && (version === undefined || s.version === version)),
    list: async () => stored,
    save: async () => {
      throw new Error('this spec store is read-only');
    },
  };
}
