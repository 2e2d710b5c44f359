/** Validation of the Kubernetes objects the AKS deployer sends, after the apps/v1 and v1 OpenAPI schemas. */
type Json = Record<string, unknown>;
const object = (value: unknown): Json | undefined =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
const array = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const quantity = /^\d+(\.\d+)?(m|Ki|Mi|Gi|k|M|G)?$/;

function metadataProblems(body: Json, kind: string, apiVersion: string): string[] {
  const problems: string[] = [];
  if (body.kind !== kind) problems.push(`kind: must be ${kind}`);
  if (body.apiVersion !== apiVersion) problems.push(`apiVersion: must be ${apiVersion}`);
  const name = object(body.metadata)?.name;
  if (typeof name !== 'string' || name.length > 63 || !dnsLabel.test(name)) problems.push('metadata.name: must be a DNS-1035 label');
  for (const [key, value] of Object.entries(object(object(body.metadata)?.labels) ?? {}))
    if (typeof value !== 'string' || value.length > 63 || !/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(value))
      problems.push(`metadata.labels.${key}: must be a valid label value`);
  return problems;
}

function containerProblems(container: Json, at: string): string[] {
  const problems: string[] = [];
  if (typeof container.name !== 'string' || !dnsLabel.test(container.name)) problems.push(`${at}.name: must be a DNS-1123 label`);
  if (typeof container.image !== 'string' || container.image.length === 0) problems.push(`${at}.image: Required value`);
  for (const [i, env] of array(container.env).entries())
    if (typeof object(env)?.name !== 'string') problems.push(`${at}.env[${i}].name: Required value`);
  for (const side of ['requests', 'limits'])
    for (const [resource, value] of Object.entries(object(object(container.resources)?.[side]) ?? {}))
      if (typeof value !== 'string' || !quantity.test(value)) problems.push(`${at}.resources.${side}.${resource}: must be a quantity`);
  for (const probe of ['readinessProbe', 'livenessProbe']) {
    const httpGet = object(object(container[probe])?.httpGet);
    if (container[probe] !== undefined && (!httpGet || httpGet.port === undefined))
      problems.push(`${at}.${probe}.httpGet.port: Required value`);
  }
  return problems;
}

export function deploymentProblems(body: Json): string[] {
  const problems = metadataProblems(body, 'Deployment', 'apps/v1');
  const spec = object(body.spec);
  if (!spec) return [...problems, 'spec: Required value'];
  const selector = object(object(spec.selector)?.matchLabels);
  if (!selector || Object.keys(selector).length === 0) problems.push('spec.selector: Required value');
  const template = object(spec.template);
  const labels = object(object(template?.metadata)?.labels) ?? {};
  for (const [key, value] of Object.entries(selector ?? {}))
    if (labels[key] !== value) problems.push('spec.template.metadata.labels: `selector` does not match template `labels`');
  const containers = array(object(template?.spec)?.containers);
  if (containers.length === 0) problems.push('spec.template.spec.containers: Required value');
  containers.forEach((c, i) => problems.push(...containerProblems(object(c) ?? {}, `spec.template.spec.containers[${i}]`)));
  const strategy = object(spec.strategy);
  if (strategy && !['RollingUpdate', 'Recreate'].includes(String(strategy.type))) problems.push('spec.strategy.type: Unsupported value');
  return problems;
}

export function serviceProblems(body: Json): string[] {
  const problems = metadataProblems(body, 'Service', 'v1');
  const spec = object(body.spec);
  if (!spec) return [...problems, 'spec: Required value'];
  if (spec.type !== undefined && !['ClusterIP', 'NodePort', 'LoadBalancer'].includes(String(spec.type)))
    problems.push('spec.type: Unsupported value');
  const ports = array(spec.ports);
  if (ports.length === 0) problems.push('spec.ports: Required value');
  for (const [i, port] of ports.entries())
    if (!Number.isInteger(object(port)?.port)) problems.push(`spec.ports[${i}].port: Required value`);
  return problems;
}
