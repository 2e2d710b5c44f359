import { permanent } from '../errors';
import { healthyDeploymentOf, rollbackTarget } from '../domain/traffic';
import { splitForNewDeployment, TrafficSplit, validateTrafficSplit } from '../domain/trafficSplit';
import { Clock } from '../ports/clock';
import { DeploymentRecord, ModelRegistry, ModelVersion } from '../ports/modelRegistry';

export interface TrafficDeps {
  registry: ModelRegistry;
  clock: Clock;
}

/** The deployment that now takes all of a model's traffic. */
export interface Switched {
  previous?: number;
  deployment: string;
  endpoint?: string;
}

/**
 * Writes a split deployment by deployment, shares going down first: while it is rewritten no deployment has more
 * than both its old and its new share. A deployment the split leaves out gets 0 %.
 */
async function applySplit(deps: TrafficDeps, deployments: DeploymentRecord[], split: TrafficSplit, now: Date): Promise<void> {
  const shareOf = (d: DeploymentRecord) => split[d.name] ?? 0;
  const changes = deployments
    .filter((d) => d.trafficPercent !== shareOf(d))
    .sort((a, b) => shareOf(a) - a.trafficPercent - (shareOf(b) - b.trafficPercent));
  for (const d of changes) await deps.registry.upsertDeployment({ ...d, trafficPercent: shareOf(d), updatedAt: now.toISOString() });
}

async function versionsOf(registry: ModelRegistry, model: string): Promise<ModelVersion[]> {
  const versions = await registry.listVersions(model);
  if (versions.length === 0) throw permanent('MODEL.NOT_FOUND', `no model named "${model}"`);
  return versions;
}

/** Makes a deployed version production and gives its deployment all the traffic; takes effect on the next request. */
async function switchTo(deps: TrafficDeps, model: string, version: number): Promise<Switched> {
  const deployments = await deps.registry.listDeployments(model);
  const target = healthyDeploymentOf(deployments, version);
  if (!target) throw permanent('MODEL.NOT_DEPLOYED', `version ${version} of ${model} has no healthy deployment to send traffic to`);
  const now = deps.clock.now();
  const { previous } = await deps.registry.promote(model, version, now);
  await applySplit(deps, deployments, { [target.name]: 100 }, now);
  return { previous, deployment: target.name, endpoint: target.endpoint };
}

/** Sets a model's split from a request `{ "deployments": { "<name>": percent } }`; returns the deployments after. */
export async function setTrafficSplit(deps: TrafficDeps, model: string, split: unknown): Promise<DeploymentRecord[]> {
  const deployments = await deps.registry.listDeployments(model);
  if (deployments.length === 0) await versionsOf(deps.registry, model);
  const checked = validateTrafficSplit(split, deployments);
  if (!checked.ok) throw permanent('TRAFFIC.INVALID_SPLIT', checked.problems.join('; '), { problems: checked.problems });
  await applySplit(deps, deployments, checked.split, deps.clock.now());
  return deps.registry.listDeployments(model);
}

export async function promoteVersion(deps: TrafficDeps, model: string, version: number): Promise<Switched> {
  const versions = await versionsOf(deps.registry, model);
  if (!versions.some((v) => v.version === version)) throw permanent('MODEL.VERSION_NOT_FOUND', `model ${model} has no version ${version}`);
  return switchTo(deps, model, version);
}

/** Back to the most recently promoted earlier production version that is still deployed. */
export async function rollBack(deps: TrafficDeps, model: string): Promise<Switched & { version: number }> {
  const versions = await versionsOf(deps.registry, model);
  const target = rollbackTarget(versions, await deps.registry.listDeployments(model));
  if (!target) throw permanent('MODEL.NO_ROLLBACK_TARGET', `model ${model} has no earlier production version that is still deployed`);
  return { version: target.version, ...(await switchTo(deps, model, target.version)) };
}

/** The production version a version replaced: the most recently promoted of those archived since. */
function replacedBy(versions: ModelVersion[]): number | undefined {
  return versions
    .filter((v) => v.stage === 'archived' && v.promotedAt)
    .sort((a, b) => (b.promotedAt ?? '').localeCompare(a.promotedAt ?? ''))[0]?.version;
}

/**
 * A newly deployed version goes live: its deployment is marked healthy at its endpoint, then takes `canaryPercent`
 * of the traffic beside production, or all of it (and becomes production) without a canary or a production to
 * keep the rest. Re-running it finds the same production version and gives the same split and result.
 */
export async function switchToNewDeployment(
  deps: TrafficDeps,
  args: { model: string; version: number; name: string; endpoint: string; target: string; canaryPercent?: number },
): Promise<{ previous?: number; canary: boolean }> {
  const { registry } = deps;
  const now = deps.clock.now();
  const current = await registry.getDeployment(args.model, args.name);
  await registry.upsertDeployment({
    ...(current ?? {
      model: args.model,
      name: args.name,
      version: args.version,
      target: args.target,
      createdAt: now.toISOString(),
      trafficPercent: 0,
    }),
    state: 'healthy',
    endpoint: args.endpoint,
    updatedAt: now.toISOString(),
  });
  const production = await registry.getProduction(args.model);
  const alreadyProduction = production?.version === args.version;
  const deployments = await registry.listDeployments(args.model);
  // A canary share leaves the version staging, production keeping the rest until someone promotes it.
  const { split, canary } = splitForNewDeployment(
    deployments,
    args.name,
    alreadyProduction ? undefined : production?.version,
    args.canaryPercent ?? 100,
  );
  let previous: number | undefined;
  if (!canary) {
    previous = (await registry.promote(args.model, args.version, now)).previous;
    // A re-run promotes a version that already is production: the one it replaced is archived by now.
    if (alreadyProduction && previous === undefined) previous = replacedBy(await registry.listVersions(args.model));
  }
  // The previous versions stay deployed, without traffic, for a rollback.
  await applySplit(deps, deployments, split, now);
  return { previous, canary };
}
