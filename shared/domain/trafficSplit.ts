import { DeploymentRecord } from './modelRecords';

/** A deployment that can take scoring traffic: healthy, reachable and given a share. */
export function routableDeployments(deployments: DeploymentRecord[]): DeploymentRecord[] {
  return deployments.filter((d) => d.state === 'healthy' && d.endpoint && d.trafficPercent > 0);
}

/**
 * Weighted random choice by `trafficPercent`; `random` is a number in [0, 1). The shares need not add up to
 * 100 (a split being rewritten deployment by deployment briefly does not), so they are normalised here.
 */
export function chooseDeployment(candidates: DeploymentRecord[], random: number): DeploymentRecord | undefined {
  const total = candidates.reduce((sum, d) => sum + d.trafficPercent, 0);
  if (candidates.length === 0 || total <= 0) return undefined;
  let point = random * total;
  for (const d of candidates) {
    point -= d.trafficPercent;
    if (point < 0) return d;
  }
  return candidates[candidates.length - 1];
}

export type TrafficSplit = Record<string, number>;

export type SplitValidation = { ok: true; split: TrafficSplit } | { ok: false; problems: string[] };

/**
 * Checks a requested split `{ "deployments": { "<name>": percent } }`: integers 0–100 adding up to 100, every
 * named deployment healthy. Deployments left out get 0 %.
 */
export function validateTrafficSplit(body: unknown, deployments: DeploymentRecord[]): SplitValidation {
  const requested = (body as { deployments?: unknown } | undefined)?.deployments;
  if (!requested || typeof requested !== 'object' || Array.isArray(requested))
    return { ok: false, problems: ['send {"deployments": {"<deployment name>": <percent>, …}}'] };
  const problems: string[] = [];
  const byName = new Map(deployments.map((d) => [d.name, d]));
  let sum = 0;
  for (const [name, percent] of Object.entries(requested)) {
    const deployment = byName.get(name);
    if (!deployment) problems.push(`deployments.${name}: no such deployment`);
    else if (deployment.state !== 'healthy' || !deployment.endpoint)
      problems.push(`deployments.${name}: the deployment is ${deployment.state}, not healthy`);
    if (!Number.isInteger(percent) || (percent as number) < 0 || (percent as number) > 100)
      problems.push(`deployments.${name}: the share must be an integer from 0 to 100`);
    else sum += percent as number;
  }
  if (problems.length === 0 && sum !== 100) problems.push(`the shares must add up to 100 (they add up to ${sum})`);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, split: Object.fromEntries(deployments.map((d) => [d.name, (requested as TrafficSplit)[d.name] ?? 0])) };
}

/**
 * The split after a new version is deployed: with a canary share below 100 and a healthy production deployment
 * to keep the rest, the newcomer gets `canaryPercent` and production keeps the remainder; otherwise the newcomer
 * gets everything. Every other deployment stays deployed with 0 % for a rollback.
 */
export function splitForNewDeployment(
  deployments: DeploymentRecord[],
  newcomer: string,
  productionVersion: number | undefined,
  canaryPercent: number,
): { split: TrafficSplit; canary: boolean } {
  const incumbent = deployments.find((d) => d.name !== newcomer && d.version === productionVersion && d.state === 'healthy');
  const canary = canaryPercent < 100 && incumbent !== undefined;
  const split: TrafficSplit = Object.fromEntries(deployments.map((d) => [d.name, 0]));
  split[newcomer] = canary ? canaryPercent : 100;
  if (canary) split[incumbent.name] = 100 - canaryPercent;
  return { split, canary };
}
