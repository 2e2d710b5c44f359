import { ArmResource, mainTemplate, resourcesOfType, scopeTarget } from './support/armTemplate';
import { azureBuiltInRoles, cosmosBuiltInRoles, requiredRoles } from './support/builtInRoles';

interface Granted {
  role: string;
  scope: string;
}

/** The role name in `variables('roleIds')['Name']`, the only way the templates spell a role. */
function roleName(expression: string, table: string): string {
  const match = new RegExp(`variables\\('${table}'\\)\\['([^']+)'\\]`).exec(expression);
  if (!match) throw new Error(`role not taken from variables('${table}'): ${expression}`);
  return match[1];
}

describe('role assignments', () => {
  const template = mainTemplate();
  const variables = template.variables as { roleIds: Record<string, string>; cosmosRoleIds: Record<string, string> };

  it('role ids are the built-in ids of the roles they are named after', () => {
    for (const [name, id] of Object.entries(variables.roleIds)) expect({ name, id }).toEqual({ name, id: azureBuiltInRoles[name] });
    for (const [name, id] of Object.entries(variables.cosmosRoleIds)) expect({ name, id }).toEqual({ name, id: cosmosBuiltInRoles[name] });
  });

  it('grant exactly the roles the code needs, each on the resource it needs it for', () => {
    const deployments = resourcesOfType(template, 'Microsoft.Resources/deployments');
    const granted: Granted[] = [
      ...template.resources
        .filter((r) => r.type === 'Microsoft.Authorization/roleAssignments')
        .map((r: ArmResource) => ({ role: roleName(String(r.properties?.roleDefinitionId), 'roleIds'), scope: scopeTarget(r).type })),
      ...deployments.map((d) => {
        const passed = (d.properties?.parameters as Record<string, { value: string }>).roleDefinitionId.value;
        const inner = (d.properties?.template as { resources: ArmResource[] }).resources;
        // The nested template assigns at its resource group: no `scope`, the role it is handed.
        expect(inner.map((r) => [r.type, r.scope, r.properties?.roleDefinitionId])).toEqual([
          ['Microsoft.Authorization/roleAssignments', undefined, "[parameters('roleDefinitionId')]"],
        ]);
        return { role: roleName(passed, 'roleIds'), scope: 'resourceGroup' };
      }),
      ...resourcesOfType(template, 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments').map((r) => {
        expect(String(r.properties?.scope)).toMatch(/^\[resourceId\('Microsoft\.DocumentDB\/databaseAccounts', /);
        return { role: roleName(String(r.properties?.roleDefinitionId), 'cosmosRoleIds'), scope: 'Microsoft.DocumentDB/databaseAccounts' };
      }),
    ];
    const byName = (a: Granted, b: Granted) => a.role.localeCompare(b.role);
    expect(granted.sort(byName)).toEqual(requiredRoles.map(({ role, scope }) => ({ role, scope })).sort(byName));
  });

  it('go to the managed identity, as a service principal', () => {
    const principal =
      "[reference(resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', variables('identityName')), '2023-01-31').principalId]";
    const direct = template.resources.filter((r) => /roleAssignments$/.test(r.type));
    for (const r of direct) expect(r.properties?.principalId).toBe(principal);
    for (const r of direct.filter((r) => r.type === 'Microsoft.Authorization/roleAssignments'))
      expect(r.properties?.principalType).toBe('ServicePrincipal');
    for (const d of resourcesOfType(template, 'Microsoft.Resources/deployments'))
      expect((d.properties?.parameters as Record<string, { value: string }>).principalId.value).toBe(principal);
  });

  it('RBAC role definitions are subscription-level built-ins', () => {
    const builtIn = /^\[subscriptionResourceId\('Microsoft\.Authorization\/roleDefinitions', /;
    for (const d of resourcesOfType(template, 'Microsoft.Resources/deployments'))
      expect((d.properties?.parameters as Record<string, { value: string }>).roleDefinitionId.value).toMatch(builtIn);
    for (const r of template.resources.filter((r) => r.type === 'Microsoft.Authorization/roleAssignments'))
      expect(r.properties?.roleDefinitionId).toMatch(builtIn);
  });
});
