import { DeploymentRecord } from './modelRecords';

/**
 * The deployments of a model that a promotion made superfluous: every live deployment of a version older than
 * production that serves no traffic, except the newest `keepForRollback` of them (a rollback needs one running).
 * Versions newer than production (a canary, another run's deployment in flight) and anything with traffic are never
 * chosen, so the rule is safe to apply after any promotion, twice or concurrently.
 */
export function supersededDeployments(
  deployments: DeploymentRecord[],
  productionVersion: number | undefined,
  keepForRollback = 1,
): DeploymentRecord[] {
  if (productionVersion === undefined) return [];
  const older = deployments
    .filter((d) => d.state !== 'deleted' && d.version < productionVersion && d.trafficPercent === 0)
    .sort((a, b) => b.version - a.version || a.name.localeCompare(b.name));
  const kept = new Set(
    older
      .filter((d) => d.state === 'healthy')
      .slice(0, keepForRollback)
      .map((d) => d.name),
  );
  return older.filter((d) => !kept.has(d.name));
}
