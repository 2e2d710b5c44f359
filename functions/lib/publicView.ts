import { ModelVersion } from '../../shared/domain/modelRecords';

/** A file URI or an absolute path on some machine: where training ran is nobody's business but its own. */
const machinePath = /^(file:|\/|[A-Za-z]:[\\/]|\\\\)/;

/** The value with every string that names a machine path left out, at any depth. */
export function withoutMachinePaths<T>(value: T): T {
  if (typeof value === 'string') return (machinePath.test(value) ? undefined : value) as T;
  if (Array.isArray(value)) return value.map(withoutMachinePaths).filter((v) => v !== undefined) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .map(([key, v]) => [key, withoutMachinePaths(v)] as const)
      .filter(([, v]) => v !== undefined),
  ) as T;
}

/** A model version as the API shows it: its metrics and lineage as recorded, less training-machine paths. */
export function publicModelVersion(version: ModelVersion): ModelVersion {
  return { ...version, metrics: withoutMachinePaths(version.metrics), lineage: withoutMachinePaths(version.lineage) };
}
