import { AciLimits, containerGroupNameProblems, defaultAciLimits, dnsNameLabelProblems } from '../../shared/domain/azureRules';
import { ArmError, ArmResource, ResourceTypeDefinition } from './arm/armTypes';
import { CannedResponse } from './arm/faults';

/**
 * `Microsoft.ContainerInstance/containerGroups` for the ARM fake, after the stable 2023-05-01 REST spec
 * (specification/containerinstance/resource-manager/Microsoft.ContainerInstance/stable/2023-05-01/containerInstance.json),
 * the version `@azure/arm-containerinstance` 9.x sends: PUT answers 201 with `provisioningState: Pending` and the
 * operation headers, then `Creating` → `Succeeded`; DELETE is long-running. Secure environment values are write-only.
 *
 * What ACI refuses of a well-formed body answers in ARM's `{ error: { code, message } }` (the spec's CloudError): a
 * group name or DNS label against the rules in shared/domain/azureRules.ts (the label message is ACI's own, as quoted
 * in derekbekoe/vscode-spot#37), CPU or memory above the region's capabilities (ACI's "The requested resource is not
 * available in the location …", MicrosoftDocs/azure-docs#24776), and a registry credential whose identity is not the
 * group's. The spec publishes no error codes: those for the name, label and registry identity are this fake's choice.
 */
export const containerInstanceApiVersion = '2023-05-01';

/** The error of a create whose image cannot be pulled: the group fails, the pull errors are the container's events. */
export const imagePullFailure: ArmError = {
  code: 'ContainerGroupProvisioningFailed',
  message: 'The container group failed to start: a container image could not be pulled.',
};

type Json = Record<string, unknown>;
const object = (value: unknown): Json | undefined =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
const text = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
const array = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

function probeProblems(probe: unknown, at: string): string[] {
  if (probe === undefined) return [];
  const httpGet = object(object(probe)?.httpGet);
  const exec = object(object(probe)?.exec);
  if (!httpGet && !exec) return [`${at} needs httpGet or exec`];
  if (httpGet && !Number.isInteger(httpGet.port)) return [`${at}.httpGet.port is required`];
  return [];
}

function containerProblems(container: Json, index: number): string[] {
  const at = `properties.containers[${index}]`;
  const problems: string[] = [];
  if (!text(container.name) || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(container.name))
    problems.push(`${at}.name is not a valid name`);
  const properties = object(container.properties);
  if (!properties) return [...problems, `${at}.properties is required`];
  if (!text(properties.image)) problems.push(`${at}.properties.image is required`);
  const requests = object(object(properties.resources)?.requests);
  if (typeof requests?.cpu !== 'number' || requests.cpu <= 0) problems.push(`${at}.properties.resources.requests.cpu is required`);
  if (typeof requests?.memoryInGB !== 'number' || requests.memoryInGB <= 0)
    problems.push(`${at}.properties.resources.requests.memoryInGB is required`);
  array(properties.environmentVariables).forEach((variable, i) => {
    const v = object(variable);
    if (!text(v?.name)) problems.push(`${at}.properties.environmentVariables[${i}].name is required`);
  });
  array(properties.ports).forEach((port, i) => {
    if (!Number.isInteger(object(port)?.port)) problems.push(`${at}.properties.ports[${i}].port is required`);
  });
  problems.push(...probeProblems(properties.livenessProbe, `${at}.properties.livenessProbe`));
  problems.push(...probeProblems(properties.readinessProbe, `${at}.properties.readinessProbe`));
  return problems;
}

function identityProblems(identity: Json | undefined): string[] {
  if (!identity) return [];
  if (!['SystemAssigned', 'UserAssigned', 'SystemAssigned, UserAssigned', 'None'].includes(String(identity.type)))
    return ['identity.type is not a valid ResourceIdentityType'];
  if (String(identity.type).includes('UserAssigned') && Object.keys(object(identity.userAssignedIdentities) ?? {}).length === 0)
    return ['identity.userAssignedIdentities is required for a UserAssigned identity'];
  return [];
}

function validate(body: Json): string[] {
  const problems: string[] = [];
  if (!text(body.location)) problems.push('location is required');
  if (body.tags !== undefined && (!object(body.tags) || Object.values(object(body.tags) ?? {}).some((v) => typeof v !== 'string')))
    problems.push('tags must map names to strings');
  problems.push(...identityProblems(object(body.identity)));
  const properties = object(body.properties);
  if (!properties) return [...problems, 'properties is required'];
  if (properties.osType !== 'Linux' && properties.osType !== 'Windows') problems.push("properties.osType must be 'Linux' or 'Windows'");
  if (properties.restartPolicy !== undefined && !['Always', 'OnFailure', 'Never'].includes(String(properties.restartPolicy)))
    problems.push("properties.restartPolicy must be 'Always', 'OnFailure' or 'Never'");
  const containers = array(properties.containers);
  if (containers.length === 0) problems.push('properties.containers is required');
  containers.forEach((c, i) => problems.push(...containerProblems(object(c) ?? {}, i)));
  array(properties.imageRegistryCredentials).forEach((credential, i) => {
    const c = object(credential);
    if (!text(c?.server)) problems.push(`properties.imageRegistryCredentials[${i}].server is required`);
    if (!text(c?.identity) && !text(c?.username))
      problems.push(`properties.imageRegistryCredentials[${i}] needs an identity or a username`);
  });
  const ip = object(properties.ipAddress);
  if (ip) {
    if (ip.type !== 'Public' && ip.type !== 'Private') problems.push("properties.ipAddress.type must be 'Public' or 'Private'");
    const ports = array(ip.ports);
    if (ports.length === 0) problems.push('properties.ipAddress.ports is required');
    const exposed = new Set(containers.flatMap((c) => array(object(object(c)?.properties)?.ports).map((p) => object(p)?.port)));
    for (const port of ports)
      if (!exposed.has(object(port)?.port))
        problems.push(`properties.ipAddress.ports: port ${String(object(port)?.port)} is not a container port`);
    if (ip.dnsNameLabel !== undefined && typeof ip.dnsNameLabel !== 'string')
      problems.push('properties.ipAddress.dnsNameLabel must be a string');
  }
  return problems;
}

const refusal = (status: number, code: string, message: string): CannedResponse => ({ status, body: { error: { code, message } } });

function refuse(body: Json, name: string, limits: AciLimits): CannedResponse | undefined {
  if (containerGroupNameProblems(name, 'name').length > 0)
    return refusal(
      400,
      'InvalidContainerGroupName',
      `The container group name '${name}' is invalid. A container group name must contain no more than 63 characters and only ` +
        "lowercase alphanumeric characters and '-', must not start or end with '-' and must not contain consecutive '-'.",
    );
  const properties = object(body.properties) ?? {};
  const label = object(properties.ipAddress)?.dnsNameLabel;
  if (typeof label === 'string' && dnsNameLabelProblems(label, 'label').length > 0)
    return refusal(
      400,
      'InvalidDnsNameLabel',
      `The DNS name label '${label}' in container group '${name}' is invalid. It can contain only lowercase letters, numbers and ` +
        'hyphens. The first character must be a letter. The last character must be a letter or number. The value must be between 5 and 63 characters long.',
    );
  const requests = array(properties.containers).map((c) => object(object(object(object(c)?.properties)?.resources)?.requests) ?? {});
  const cpu = requests.reduce((sum, r) => sum + Number(r.cpu ?? 0), 0);
  const memory = requests.reduce((sum, r) => sum + Number(r.memoryInGB ?? 0), 0);
  if (cpu > limits.maxCpu || memory > limits.maxMemoryInGB)
    return refusal(
      409,
      'ServiceUnavailable',
      `The requested resource is not available in the location '${String(body.location)}' at this moment. Please retry with a ` +
        `different resource request or in another location. Resource requested: '${cpu}' CPU '${memory}' GB memory '${String(properties.osType)}' OS`,
    );
  const assigned = Object.keys(object(object(body.identity)?.userAssignedIdentities) ?? {}).map((id) => id.toLowerCase());
  for (const credential of array(properties.imageRegistryCredentials).map((c) => object(c) ?? {}))
    if (text(credential.identity) && !assigned.includes(credential.identity.toLowerCase()))
      return refusal(
        400,
        'InvalidImageRegistryCredentialIdentity',
        `The identity '${credential.identity}' of the image registry credential for '${String(credential.server)}' is not ` +
          `assigned to container group '${name}'. Add it to the group's user-assigned identities.`,
      );
  return undefined;
}

/** Environment variables as GET returns them: secure values are never echoed. */
function publicContainers(containers: unknown[]): Json[] {
  return containers.map((c) => {
    const container = object(c) ?? {};
    const properties = object(container.properties) ?? {};
    const env = array(properties.environmentVariables).map((v) =>
      Object.fromEntries(Object.entries(object(v) ?? {}).filter(([k]) => k !== 'secureValue')),
    );
    return { ...container, properties: { ...properties, environmentVariables: env } };
  });
}

/** The container group definition; `onAccepted` learns of every new group (its resource is live: changes show in GETs). */
export function containerGroups(opts: {
  provisionMs?: number;
  deleteMs?: number;
  /** The region's ceiling for one group (the capabilities API's); default 4 CPU, 16 GB. */
  limits?: AciLimits;
  onAccepted(resource: ArmResource, body: Json): void;
}): ResourceTypeDefinition {
  const provisionMs = opts.provisionMs ?? 300;
  return {
    namespace: 'Microsoft.ContainerInstance',
    type: 'containerGroups',
    apiVersions: [containerInstanceApiVersion],
    validate,
    refuse: (body, identity) => refuse(body, identity.name, opts.limits ?? defaultAciLimits),
    accept(body, identity) {
      const properties = object(body.properties) ?? {};
      const ip = object(properties.ipAddress);
      const resource: ArmResource = {
        ...identity,
        location: String(body.location),
        tags: object(body.tags) as Record<string, string> | undefined,
        identity: body.identity,
        properties: {
          sku: properties.sku ?? 'Standard',
          osType: properties.osType,
          restartPolicy: properties.restartPolicy ?? 'Always',
          containers: publicContainers(array(properties.containers)),
          ...(ip
            ? {
                ipAddress: {
                  ...ip,
                  fqdn: ip.dnsNameLabel ? `${String(ip.dnsNameLabel)}.${String(body.location)}.azurecontainer.io` : undefined,
                },
              }
            : {}),
          instanceView: { state: 'Pending', events: [] },
        },
      };
      opts.onAccepted(resource, body);
      return { resource };
    },
    createStatus: 201,
    lifecycle: {
      create: [
        { afterMs: 0, properties: { provisioningState: 'Pending' } },
        { afterMs: Math.round(provisionMs / 2), properties: { provisioningState: 'Creating' } },
        { afterMs: provisionMs, properties: { provisioningState: 'Succeeded' } },
      ],
      failed: (error: ArmError) => ({
        instanceView: {
          state: 'Failed',
          events: error === imagePullFailure ? [] : [{ type: 'Warning', name: error.code, message: error.message, count: 1 }],
        },
      }),
      deleting: { provisioningState: 'Deleting' },
      deleteMs: opts.deleteMs ?? 200,
    },
  };
}
