import { deploymentName } from './naming';

/**
 * The rules Azure applies to what Canopy creates, checked before Azure is asked (at registration and again before a
 * create), and by the fakes, so that a name or size Azure refuses is refused at once with the field and the rule
 * rather than minutes into a run. Each check answers problems as `<field>: <rule>`; none means Azure accepts it.
 */

export interface AciLimits {
  maxCpu: number;
  maxMemoryInGB: number;
}

/**
 * A Linux container group's ceiling in most regions (Standard SKU, no GPU). The capabilities API
 * (`GET /subscriptions/{s}/providers/Microsoft.ContainerInstance/locations/{location}/capabilities`, 2023-05-01)
 * answers the real figure per region; the ACI adapter asks it before a create. Source: the region table of azure-docs
 * articles/container-instances/container-instances-quotas.md (includes/container-instances-vnet-limits.md: Linux,
 * 4 CPU and 16 GB in most regions, less in some).
 */
export const defaultAciLimits: AciLimits = { maxCpu: 4, maxMemoryInGB: 16 };

/** The HDInsight versions still created, with the Spark each offers (azure-docs articles/hdinsight/hdinsight-component-versioning.md). */
export const hdinsightVersions: Readonly<Record<string, { Spark: readonly string[] }>> = {
  '5.1': { Spark: ['3.3'] },
  '4.0': { Spark: ['2.4', '3.1'] },
};

/** The full version GET reports for a cluster created as `5.1`. */
export const hdinsightFullVersion: Readonly<Record<string, string>> = { '5.1': '5.1.3000.0' };

/**
 * VM sizes HDInsight offers for Spark nodes (azure-docs articles/hdinsight/hdinsight-supported-node-configuration.md
 * and the HDInsight capabilities API's `vmsizes`). Head nodes need at least 4 cores and 28 GB: the smaller sizes are
 * worker-only.
 */
const headCapableSizes = [
  'Standard_D12_v2',
  'Standard_D13_v2',
  'Standard_D14_v2',
  'Standard_D5_v2',
  'Standard_DS12_v2',
  'Standard_DS13_v2',
  'Standard_DS14_v2',
  'Standard_E4_v3',
  'Standard_E8_v3',
  'Standard_E16_v3',
  'Standard_E20_v3',
  'Standard_E32_v3',
  'Standard_E48_v3',
  'Standard_E64_v3',
  'Standard_E4a_v4',
  'Standard_E8a_v4',
  'Standard_E16a_v4',
  'Standard_E32a_v4',
  'Standard_E48a_v4',
  'Standard_E64a_v4',
  'Standard_E96a_v4',
  'Standard_D8a_v4',
  'Standard_D16a_v4',
  'Standard_D32a_v4',
  'Standard_D48a_v4',
  'Standard_D64a_v4',
  'Standard_D96a_v4',
];
const workerOnlySizes = [
  'Standard_A4_v2',
  'Standard_A8_v2',
  'Standard_D3_v2',
  'Standard_D4_v2',
  'Standard_DS3_v2',
  'Standard_DS4_v2',
  'Standard_D4a_v4',
  'Standard_E2_v3',
  'Standard_E2a_v4',
];
const lower = (sizes: string[]) => new Set(sizes.map((s) => s.toLowerCase()));
const headSizes = lower(headCapableSizes);
const workerSizes = lower([...headCapableSizes, ...workerOnlySizes]);

/** Azure compares VM sizes without regard to case. */
export function hdinsightVmSizeProblems(role: 'headnode' | 'workernode', vmSize: string, field: string): string[] {
  const known = role === 'headnode' ? headSizes : workerSizes;
  if (known.has(vmSize.toLowerCase())) return [];
  return role === 'headnode' && workerSizes.has(vmSize.toLowerCase())
    ? [`${field}: ${vmSize} is too small for an HDInsight head node (at least 4 cores and 28 GB, e.g. Standard_D12_v2)`]
    : [`${field}: ${vmSize} is not a VM size HDInsight offers (e.g. Standard_D4_v2, Standard_D12_v2, Standard_E8_v3)`];
}

/**
 * HDInsight cluster names: 3–59 characters, letters, digits and hyphens, first and last a letter or digit
 * (terraform-provider-azurerm internal/services/hdinsight/validate/hdinsight.go, HDInsightName).
 */
export function hdinsightClusterNameProblems(name: string, field: string): string[] {
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{1,57}[A-Za-z0-9]$/.test(name))
    return [
      `${field}: an HDInsight cluster name has 3–59 letters, digits and hyphens and starts and ends with a letter or digit (got '${name}')`,
    ];
  return [];
}

/** The cluster version and its Spark component version must be a pair HDInsight still creates. */
export function hdinsightVersionProblems(clusterVersion: string, sparkVersion: string | undefined, field: string): string[] {
  const version = hdinsightVersions[clusterVersion];
  if (!version)
    return [
      `${field}.clusterVersion: HDInsight ${clusterVersion} is retired or unknown; supported: ${Object.keys(hdinsightVersions).join(', ')}`,
    ];
  if (sparkVersion !== undefined && !version.Spark.includes(sparkVersion))
    return [`${field}.componentVersion.Spark: HDInsight ${clusterVersion} offers Spark ${version.Spark.join(' or ')}, not ${sparkVersion}`];
  return [];
}

/**
 * HDInsight's password policy for the cluster login (gateway) and SSH passwords: at least 10 characters with a digit,
 * an upper-case letter, a lower-case letter and a non-alphanumeric character, none of ' " ` \ (the policy the portal
 * and azure-quickstart-templates quickstarts/microsoft.hdinsight/hdinsight-spark-linux state).
 */
export function hdinsightPasswordProblems(password: string, field: string): string[] {
  const missing = [
    password.length < 10 ? 'at least 10 characters' : '',
    /\d/.test(password) ? '' : 'a digit',
    /[A-Z]/.test(password) ? '' : 'an upper-case letter',
    /[a-z]/.test(password) ? '' : 'a lower-case letter',
    /[^A-Za-z0-9]/.test(password) ? '' : 'a non-alphanumeric character',
  ].filter(Boolean);
  const problems = missing.length > 0 ? [`${field}: the HDInsight password policy needs ${missing.join(', ')}`] : [];
  if (/['"`\\]/.test(password)) problems.push(`${field}: an HDInsight password must not contain ' " \` or \\`);
  return problems;
}

/**
 * Container group names: 1–63 characters, lower-case letters, digits and hyphens, no hyphen first or last and no two
 * in a row (the rule Azure's container-group naming states, e.g. in the Resources API's ContainerConfiguration).
 */
export function containerGroupNameProblems(name: string, field: string): string[] {
  const problems: string[] = [];
  if (name.length < 1 || name.length > 63) problems.push(`${field}: a container group name has 1–63 characters (got ${name.length})`);
  if (!/^[a-z0-9-]*$/.test(name)) problems.push(`${field}: a container group name has only lower-case letters, digits and hyphens`);
  if (name.startsWith('-') || name.endsWith('-')) problems.push(`${field}: a container group name neither starts nor ends with a hyphen`);
  if (name.includes('--')) problems.push(`${field}: a container group name has no consecutive hyphens`);
  return problems;
}

/**
 * A container group's DNS name label: 5–63 characters, lower-case letters, digits and hyphens, first a letter, last
 * a letter or digit (the text of ACI's own refusal, "The DNS name label '…' in container group '…' is invalid").
 */
export function dnsNameLabelProblems(label: string, field: string): string[] {
  if (label.length < 5 || label.length > 63) return [`${field}: a DNS name label has 5–63 characters (got ${label.length})`];
  if (!/^[a-z][a-z0-9-]*[a-z0-9]$/.test(label))
    return [
      `${field}: a DNS name label has only lower-case letters, digits and hyphens, starts with a letter and ends with a letter or digit`,
    ];
  return [];
}

/** CPU and memory of one container group against the region's ceiling. */
export function aciResourceProblems(request: { cpu: number; memoryGb: number }, limits: AciLimits, field: string): string[] {
  const problems: string[] = [];
  if (request.cpu > limits.maxCpu)
    problems.push(`${field}.cpu: ${request.cpu} CPUs exceed the region's container group limit of ${limits.maxCpu}`);
  if (request.memoryGb > limits.maxMemoryInGB)
    problems.push(`${field}.memoryGb: ${request.memoryGb} GB exceed the region's container group limit of ${limits.maxMemoryInGB} GB`);
  return problems;
}

/** The parts of a pipeline spec Azure sees. */
export interface AzureBoundSpec {
  name: string;
  compute: { target: string; workerVmSize: string; headVmSize: string; existingCluster?: string };
  deployment: { target: string; cpu: number; memoryGb: number };
}

/**
 * What Azure would refuse of a spec's HDInsight cluster and ACI container group. The group of version N is named
 * (and DNS-labelled) `deploymentName(spec.name, N)`; version 1 stands for all, as only its digits change.
 */
export function azureSpecProblems(spec: AzureBoundSpec, limits: AciLimits = defaultAciLimits): string[] {
  const problems: string[] = [];
  if (spec.compute.target === 'hdinsight') {
    if (spec.compute.existingCluster)
      problems.push(...hdinsightClusterNameProblems(spec.compute.existingCluster, 'compute.existingCluster'));
    else {
      problems.push(...hdinsightVmSizeProblems('headnode', spec.compute.headVmSize, 'compute.headVmSize'));
      problems.push(...hdinsightVmSizeProblems('workernode', spec.compute.workerVmSize, 'compute.workerVmSize'));
    }
  }
  if (spec.deployment.target === 'aci') {
    const group = deploymentName(spec.name, 1);
    const asName = (problem: string) => problem.replace(/^name:/, `name: (container group ${group})`);
    problems.push(...containerGroupNameProblems(group, 'name').map(asName));
    problems.push(...dnsNameLabelProblems(group, 'name').map(asName));
    problems.push(...aciResourceProblems(spec.deployment, limits, 'deployment'));
  }
  return problems;
}
