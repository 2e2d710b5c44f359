import { DeploymentRecord, ModelVersion } from './modelRecords';

/** The deployment that serves a version, if one is healthy. */
export function healthyDeploymentOf(deployments: DeploymentRecord[], version: number): DeploymentRecord | undefined {
  return deployments.find((d) => d.version === version && d.state === 'healthy');
}

/** Rollback goes to the most recently promoted earlier production version that is still deployed. */
export function rollbackTarget(versions: ModelVersion[], deployments: DeploymentRecord[]): ModelVersion | undefined {
  return versions
    .filter((v) => v.stage === 'archived' && v.promotedAt && healthyDeploymentOf(deployments, v.version))
    .sort((a, b) => (b.promotedAt ?? '').localeCompare(a.promotedAt ?? ''))[0];
}
