/**
 * Azure RBAC for Kubernetes authorization, as AKS applies it to an Entra ID cluster: the caller's token names a
 * principal, and the principal's built-in role on the cluster (or on one namespace) decides what it may do
 * (azure-docs articles/aks/manage-azure-rbac.md): Reader reads, Writer and Admin also write in their namespace, Cluster
 * Admin does anything. A refusal is the API server's 403 `Forbidden` with AKS's authorizer sentence.
 */
export type AksRbacRole =
  | 'Azure Kubernetes Service RBAC Reader'
  | 'Azure Kubernetes Service RBAC Writer'
  | 'Azure Kubernetes Service RBAC Admin'
  | 'Azure Kubernetes Service RBAC Cluster Admin';

export interface AksRoleAssignment {
  principal: string;
  role: AksRbacRole;
  /** The namespace the assignment is scoped to; undefined: the whole cluster. */
  namespace?: string;
}

export interface KubernetesAction {
  verb: 'get' | 'list' | 'create' | 'update' | 'delete';
  /** e.g. `deployments` (group `apps`), `services`, `pods`, `pods/log`. */
  resource: string;
  group: string;
  namespace: string;
  name?: string;
}

const writers = new Set<AksRbacRole>(['Azure Kubernetes Service RBAC Writer', 'Azure Kubernetes Service RBAC Admin']);

function allows(assignment: AksRoleAssignment, action: KubernetesAction): boolean {
  if (assignment.role === 'Azure Kubernetes Service RBAC Cluster Admin') return true;
  if (assignment.namespace !== undefined && assignment.namespace !== action.namespace) return false;
  return action.verb === 'get' || action.verb === 'list' || writers.has(assignment.role);
}

/** The API server's refusal message, undefined when one of the principal's assignments allows the action. */
export function forbiddenMessage(assignments: AksRoleAssignment[], action: KubernetesAction): string | undefined {
  if (assignments.some((a) => allows(a, action))) return undefined;
  const principal = assignments[0]?.principal ?? 'unknown';
  const what = action.group ? `${action.resource}.${action.group}` : action.resource;
  return (
    `${what}${action.name ? ` "${action.name}"` : ''} is forbidden: User "${principal}" cannot ${action.verb} resource ` +
    `"${action.resource}" in API group "${action.group}" in the namespace "${action.namespace}": ` +
    'User does not have access to the resource in Azure. Update role assignment to allow access.'
  );
}

/** The action a request asks for, from its method and path (only the paths the fake serves). */
export function actionOf(method: string, path: string): KubernetesAction | undefined {
  const match = /^\/(?:api\/v1|apis\/(apps)\/v1)\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+)(?:\/(log))?)?$/.exec(path);
  if (!match) return undefined;
  const [, group = '', namespace, plural, name, sub] = match;
  const verbs: Record<string, KubernetesAction['verb']> = { POST: 'create', PUT: 'update', PATCH: 'update', DELETE: 'delete' };
  const verb = verbs[method] ?? (name ? 'get' : 'list');
  return { verb, resource: sub ? `${plural}/${sub}` : plural, group, namespace, name };
}
