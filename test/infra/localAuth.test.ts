import { mainTemplate, only, resourcesOfType } from './support/armTemplate';

/** Every service that can refuse keys and local accounts does: only Entra ID identities get in. */
describe('shared keys and local authentication are off', () => {
  const template = mainTemplate();
  const properties = (type: string) => only(template, type).properties as Record<string, unknown>;

  it('every storage account refuses shared keys and anonymous blob access', () => {
    const accounts = resourcesOfType(template, 'Microsoft.Storage/storageAccounts');
    expect(accounts.map((a) => a.name)).toEqual(["[variables('storageAccountName')]", "[variables('clusterStorageAccountName')]"]);
    for (const account of accounts)
      expect(account.properties).toMatchObject({
        allowSharedKeyAccess: false,
        defaultToOAuthAuthentication: true,
        allowBlobPublicAccess: false,
        minimumTlsVersion: 'TLS1_2',
      });
  });

  it("the clusters' account is ADLS Gen2, as HDInsight's identity-based default storage requires", () => {
    const cluster = resourcesOfType(template, 'Microsoft.Storage/storageAccounts').find((a) =>
      a.name.includes('clusterStorageAccountName'),
    );
    expect(cluster?.properties).toMatchObject({ isHnsEnabled: true });
  });

  it('the container registry has no admin user and no anonymous pull', () => {
    expect(properties('Microsoft.ContainerRegistry/registries')).toMatchObject({ adminUserEnabled: false, anonymousPullEnabled: false });
  });

  it('Cosmos DB refuses keys, for data and for metadata writes', () => {
    expect(properties('Microsoft.DocumentDB/databaseAccounts')).toMatchObject({
      disableLocalAuth: true,
      disableKeyBasedMetadataWriteAccess: true,
    });
  });

  it('Application Insights and its workspace refuse instrumentation-key-only ingestion and shared keys', () => {
    expect(properties('Microsoft.Insights/components')).toMatchObject({ DisableLocalAuth: true });
    expect(properties('Microsoft.OperationalInsights/workspaces')).toMatchObject({ features: { disableLocalAuth: true } });
  });

  it('Key Vault authorizes with Azure RBAC, not access policies', () => {
    expect(properties('Microsoft.KeyVault/vaults')).toMatchObject({ enableRbacAuthorization: true });
    expect(properties('Microsoft.KeyVault/vaults')).not.toHaveProperty('accessPolicies');
  });

  it('the Function App takes no basic-auth publishing credentials (FTP and SCM)', () => {
    const policies = resourcesOfType(template, 'Microsoft.Web/sites/basicPublishingCredentialsPolicies');
    expect(policies.map((p) => [p.name, p.properties])).toEqual([
      ["[format('{0}/{1}', variables('functionAppName'), 'ftp')]", { allow: false }],
      ["[format('{0}/{1}', variables('functionAppName'), 'scm')]", { allow: false }],
    ]);
    expect(properties('Microsoft.Web/sites')).toMatchObject({
      httpsOnly: true,
      siteConfig: { ftpsState: 'Disabled', minTlsVersion: '1.2' },
    });
  });

  it('the Function App runs as the user-assigned identity only', () => {
    expect(only(template, 'Microsoft.Web/sites').identity).toEqual({
      type: 'UserAssigned',
      userAssignedIdentities: { "[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', variables('identityName'))]": {} },
    });
  });
});
