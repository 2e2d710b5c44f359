import {
  hdinsightClusterNameProblems,
  hdinsightFullVersion,
  hdinsightPasswordProblems,
  hdinsightVersionProblems,
  hdinsightVmSizeProblems,
} from '../../shared/domain/azureRules';
import { ArmError, ResourceTypeDefinition } from './arm/armTypes';
import { CannedResponse, CreateRefusal } from './arm/faults';

/**
 * `Microsoft.HDInsight/clusters` for the ARM fake, after the stable 2021-06-01 REST spec
 * (specification/hdinsight/resource-manager/Microsoft.HDInsight/stable/2021-06-01/cluster.json): PUT answers 200 with
 * `provisioningState: InProgress` and the operation headers, `clusterState` walks Accepted → ClusterStorageProvisioned →
 * AzureVMConfiguration → HdInsightConfiguration → Running, DELETE answers 202. Passwords are write-only: kept in
 * `hidden` (the Livy fake checks the gateway credentials against them), never returned. GET answers as Azure does: the
 * full cluster version (`5.1.3000.0`), kind `SPARK` with its blueprint, and the zookeeper role HDInsight adds.
 *
 * What HDInsight refuses of a well-formed body (cluster name, retired versions, VM sizes, password policy; see
 * shared/domain/azureRules.ts) answers 400 with the spec's flat `ErrorResponse` (`{ code, message }`, no `error`
 * wrapper: cluster.json's default response), code `BadRequest`, as the resource provider sends it.
 */
export const hdinsightApiVersion = '2021-06-01';

export interface GatewayCredentials {
  username: string;
  password: string;
}

type Json = Record<string, unknown>;
const object = (value: unknown): Json | undefined =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
const text = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

function roleProblems(role: Json, index: number): string[] {
  const at = `properties.computeProfile.roles[${index}]`;
  const problems: string[] = [];
  if (!text(role.name)) problems.push(`${at}.name is required`);
  if (!text(object(role.hardwareProfile)?.vmSize)) problems.push(`${at}.hardwareProfile.vmSize is required`);
  if (!Number.isInteger(role.targetInstanceCount) || (role.targetInstanceCount as number) < 1)
    problems.push(`${at}.targetInstanceCount must be a positive integer`);
  const linux = object(object(role.osProfile)?.linuxOperatingSystemProfile);
  if (!text(linux?.username)) problems.push(`${at}.osProfile.linuxOperatingSystemProfile.username is required`);
  const keys = object(linux?.sshProfile)?.publicKeys;
  if (!text(linux?.password) && !(Array.isArray(keys) && keys.length > 0))
    problems.push(`${at}.osProfile.linuxOperatingSystemProfile needs a password or sshProfile.publicKeys`);
  return problems;
}

function storageProblems(properties: Json, identity: Json | undefined): string[] {
  const accounts = object(properties.storageProfile)?.storageaccounts;
  if (!Array.isArray(accounts) || accounts.length === 0) return ['properties.storageProfile.storageaccounts is required'];
  const defaults = accounts.map(object).filter((a) => a?.isDefault === true);
  if (defaults.length !== 1) return ['exactly one storage account must have isDefault: true'];
  const account = defaults[0] as Json;
  const problems: string[] = [];
  if (!text(account.name)) problems.push('the default storage account needs a name');
  if (!text(account.container) && !text(account.fileSystem)) problems.push('the default storage account needs a container or fileSystem');
  if (text(account.fileSystem)) {
    // ADLS Gen2 with a managed identity: the identity must be one the cluster is given.
    if (!text(account.resourceId) || !text(account.msiResourceId))
      problems.push('an ADLS Gen2 default storage account needs resourceId and msiResourceId');
    const assigned = Object.keys(object(identity?.userAssignedIdentities) ?? {}).map((id) => id.toLowerCase());
    if (text(account.msiResourceId) && !assigned.includes(account.msiResourceId.toLowerCase()))
      problems.push('msiResourceId must be one of identity.userAssignedIdentities');
  } else if (!text(account.key) && !text(account.saskey)) problems.push('a blob default storage account needs a key');
  return problems;
}

function validate(body: Json): string[] {
  const problems: string[] = [];
  if (!text(body.location)) problems.push('location is required');
  const tags = object(body.tags);
  if (body.tags !== undefined && (!tags || Object.values(tags).some((v) => typeof v !== 'string')))
    problems.push('tags must map names to strings');
  const properties = object(body.properties);
  if (!properties) return [...problems, 'properties is required'];
  if (!text(properties.clusterVersion)) problems.push('properties.clusterVersion is required');
  if (properties.osType !== 'Linux') problems.push("properties.osType must be 'Linux' (Windows clusters are retired)");
  const definition = object(properties.clusterDefinition);
  if (!text(definition?.kind)) problems.push('properties.clusterDefinition.kind is required');
  const gateway = object(object(definition?.configurations)?.gateway);
  if (!gateway) problems.push('properties.clusterDefinition.configurations.gateway is required');
  else if (
    gateway['restAuthCredential.isEnabled'] !== true ||
    !text(gateway['restAuthCredential.username']) ||
    !text(gateway['restAuthCredential.password'])
  )
    problems.push('the gateway needs restAuthCredential.isEnabled true, a username and a password');
  const roles = object(properties.computeProfile)?.roles;
  if (!Array.isArray(roles) || roles.length === 0) problems.push('properties.computeProfile.roles is required');
  else {
    roles.forEach((role, i) => problems.push(...roleProblems(object(role) ?? {}, i)));
    for (const needed of ['headnode', 'workernode'])
      if (!roles.some((r) => object(r)?.name === needed)) problems.push(`properties.computeProfile.roles needs a ${needed}`);
  }
  problems.push(...storageProblems(properties, object(body.identity)));
  return problems;
}

function refuse(body: Json, identity: { name: string }): CannedResponse | undefined {
  const properties = object(body.properties) ?? {};
  const definition = object(properties.clusterDefinition) ?? {};
  const spark = object(definition.componentVersion)?.Spark;
  const gateway = object(object(definition.configurations)?.gateway) ?? {};
  const problems = [
    ...hdinsightClusterNameProblems(identity.name, 'name'),
    ...hdinsightVersionProblems(String(properties.clusterVersion), typeof spark === 'string' ? spark : undefined, 'properties'),
    ...hdinsightPasswordProblems(String(gateway['restAuthCredential.password']), 'restAuthCredential.password'),
  ];
  (object(properties.computeProfile)?.roles as unknown[]).forEach((entry, i) => {
    const role = object(entry) ?? {};
    const at = `properties.computeProfile.roles[${i}]`;
    if (role.name === 'headnode' || role.name === 'workernode')
      problems.push(...hdinsightVmSizeProblems(role.name, String(object(role.hardwareProfile)?.vmSize), `${at}.hardwareProfile.vmSize`));
    const linux = object(object(role.osProfile)?.linuxOperatingSystemProfile);
    if (text(linux?.password))
      problems.push(...hdinsightPasswordProblems(linux.password, `${at}.osProfile.linuxOperatingSystemProfile.password`));
  });
  return problems.length > 0 ? { status: 400, body: { code: 'BadRequest', message: problems.join(' ') } } : undefined;
}

/** The roles as GET returns them: without passwords. */
function publicRoles(roles: unknown[]): Json[] {
  return roles.map((role) => {
    const r = object(role) ?? {};
    const linux = object(object(r.osProfile)?.linuxOperatingSystemProfile) ?? {};
    return { ...r, osProfile: { linuxOperatingSystemProfile: { username: linux.username } } };
  });
}

/** HDInsight runs three zookeeper nodes in every Spark cluster; GET lists them with the roles asked for. */
function withZookeeper(roles: Json[]): Json[] {
  const username = object(object(roles[0]?.osProfile)?.linuxOperatingSystemProfile)?.username;
  return [
    ...roles,
    {
      name: 'zookeepernode',
      targetInstanceCount: 3,
      hardwareProfile: { vmSize: 'Standard_A2_v2' },
      osProfile: { linuxOperatingSystemProfile: { username } },
    },
  ];
}

/** The HDInsight clusters provider; `provisionMs` is how long a create takes (real clusters: 15–25 minutes). */
export function hdinsightClusters(opts: { provisionMs?: number; deleteMs?: number } = {}): ResourceTypeDefinition {
  const provisionMs = opts.provisionMs ?? 1000;
  const step = (fraction: number) => Math.round(provisionMs * fraction);
  return {
    namespace: 'Microsoft.HDInsight',
    type: 'clusters',
    apiVersions: [hdinsightApiVersion],
    validate,
    refuse,
    accept(body, identity) {
      const properties = object(body.properties) ?? {};
      const definition = object(properties.clusterDefinition) ?? {};
      const gateway = object(object(definition.configurations)?.gateway) ?? {};
      const hidden: GatewayCredentials = {
        username: String(gateway['restAuthCredential.username']),
        password: String(gateway['restAuthCredential.password']),
      };
      const version = String(properties.clusterVersion);
      const fullVersion = hdinsightFullVersion[version] ?? version;
      const publicDefinition = {
        ...Object.fromEntries(Object.entries(definition).filter(([name]) => name !== 'configurations')),
        blueprint: `https://blueprints.azurehdinsight.net/${String(definition.kind).toLowerCase()}-${fullVersion}.json`,
        kind: String(definition.kind).toUpperCase(),
      };
      return {
        hidden,
        resource: {
          ...identity,
          location: String(body.location),
          tags: object(body.tags) as Record<string, string> | undefined,
          identity: body.identity,
          etag: identity.name,
          properties: {
            clusterVersion: fullVersion,
            osType: properties.osType,
            tier: properties.tier ?? 'Standard',
            clusterDefinition: publicDefinition,
            computeProfile: { roles: withZookeeper(publicRoles(object(properties.computeProfile)?.roles as unknown[])) },
            storageProfile: properties.storageProfile,
            createdDate: new Date().toISOString(),
            connectivityEndpoints: [
              { name: 'SSH', protocol: 'TCP', location: `${identity.name}-ssh.azurehdinsight.net`, port: 22 },
              { name: 'HTTPS', protocol: 'TCP', location: `${identity.name}.azurehdinsight.net`, port: 443 },
            ],
          },
        },
      };
    },
    createStatus: 200,
    lifecycle: {
      create: [
        { afterMs: 0, properties: { provisioningState: 'InProgress', clusterState: 'Accepted' } },
        { afterMs: step(0.25), properties: { clusterState: 'ClusterStorageProvisioned' } },
        { afterMs: step(0.5), properties: { clusterState: 'AzureVMConfiguration' } },
        { afterMs: step(0.75), properties: { clusterState: 'HdInsightConfiguration' } },
        { afterMs: provisionMs, properties: { provisioningState: 'Succeeded', clusterState: 'Running' } },
      ],
      failed: (error: ArmError) => ({ clusterState: 'Error', errors: [{ code: error.code, message: error.message }] }),
      deleting: { provisioningState: 'Deleting', clusterState: 'Deleting' },
      deleteMs: opts.deleteMs ?? 500,
    },
  };
}

/**
 * Cluster creates Azure refuses outright, with the bodies it answers, for `faults.refuseNextCreate`. A caller without
 * `Microsoft.HDInsight/clusters/write` gets ARM's 403 `AuthorizationFailed`; a subscription short of cores gets
 * HDInsight's quota refusal, a plain 400 `BadRequest` that only its message tells apart (as the 2021-06-01 API sends it).
 */
export const hdinsightCreateRefusals = {
  authorizationFailed(principal: { clientId: string; objectId: string }): CreateRefusal {
    return (resource) => ({
      status: 403,
      headers: { 'x-ms-failure-cause': 'gateway' },
      body: {
        error: {
          code: 'AuthorizationFailed',
          message:
            `The client '${principal.clientId}' with object id '${principal.objectId}' does not have authorization to perform ` +
            `action 'Microsoft.HDInsight/clusters/write' over scope '${resource.id}' or the scope is invalid. ` +
            'If access was recently granted, please refresh your credentials.',
        },
      },
    });
  },
  insufficientCores(quota: { subscriptionId: string; required: number; available: number }): CreateRefusal {
    return (resource) => ({
      status: 400,
      body: {
        error: {
          code: 'BadRequest',
          message:
            `User SubscriptionId '${quota.subscriptionId}' does not have cores left to create resource '${resource.name}'. ` +
            `Required: ${quota.required}, Available: ${quota.available}.`,
        },
      },
    });
  },
};
