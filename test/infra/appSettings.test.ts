import { azureSettingNames, loadConfig, optionalAzureSettingNames } from '../../shared/config';
import { mainTemplate, only } from './support/armTemplate';
import { platformSettings } from './support/platformSettings';

type AppSetting = { name: string; value: string };

const appSettings = (): AppSetting[] =>
  (only(mainTemplate(), 'Microsoft.Web/sites').properties as { siteConfig: { appSettings: AppSetting[] } }).siteConfig.appSettings;

/** What Azure resolves each expression to, in the shape the app expects. */
const deployedValues: Record<string, string> = {
  AzureWebJobsStorage__blobServiceUri: 'https://stcanopyabc.blob.core.windows.net/',
  AzureWebJobsStorage__queueServiceUri: 'https://stcanopyabc.queue.core.windows.net/',
  CANOPY_COSMOS_ENDPOINT: 'https://cosmos-canopy-abc.documents.azure.com:443/',
  CANOPY_COSMOS_DATABASE: 'canopy',
  CANOPY_SUBSCRIPTION_ID: '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b',
  CANOPY_COMPUTE_RESOURCE_GROUP: 'rg-canopy-compute',
  CANOPY_KEY_VAULT_URI: 'https://kv-canopy-abc.vault.azure.net/',
  CANOPY_LOCATION: 'eastus',
  CANOPY_CLUSTER_STORAGE_URI: 'https://stclustabc.blob.core.windows.net/',
  CANOPY_CLUSTER_STORAGE_RESOURCE_ID:
    '/subscriptions/6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b/resourceGroups/rg-canopy/providers/Microsoft.Storage/storageAccounts/stclustabc',
  CANOPY_CLUSTER_STORAGE_CONTAINER: 'canopy-cluster',
  CANOPY_WORKLOAD_IDENTITY_ID:
    '/subscriptions/6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b/resourceGroups/rg-canopy/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-canopy-abc',
  CANOPY_WORKLOAD_IDENTITY_CLIENT_ID: '0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d',
  CANOPY_SCORER_IMAGE: 'crcanopyabc.azurecr.io/canopy-scorer:0.1.0',
};

describe('Function App settings', () => {
  const names = appSettings().map((s) => s.name);
  const canopyNames = names.filter((n) => !(n in platformSettings));

  it("are exactly the settings shared/config.ts reads in Azure mode, plus the platform's own", () => {
    const optional: readonly string[] = optionalAzureSettingNames;
    expect(canopyNames.filter((n) => !optional.includes(n)).sort()).toEqual([...azureSettingNames].sort());
    expect(names.filter((n) => n in platformSettings).sort()).toEqual(Object.keys(platformSettings).sort());
  });

  it('are each set once', () => {
    expect(new Set(names).size).toBe(names.length);
  });

  it('load in Azure mode once Azure has resolved them', () => {
    const env: Record<string, string> = {};
    for (const { name, value } of appSettings()) env[name] = deployedValues[name] ?? value;
    const cfg = loadConfig(env);
    expect(cfg.runtime).toBe('azure');
    expect(cfg.azure).toMatchObject({
      subscriptionId: deployedValues.CANOPY_SUBSCRIPTION_ID,
      computeResourceGroup: deployedValues.CANOPY_COMPUTE_RESOURCE_GROUP,
      location: 'eastus',
      keyVaultUri: deployedValues.CANOPY_KEY_VAULT_URI,
      fakes: false,
      clusterStorage: {
        blobServiceUri: deployedValues.CANOPY_CLUSTER_STORAGE_URI,
        resourceId: deployedValues.CANOPY_CLUSTER_STORAGE_RESOURCE_ID,
        container: 'canopy-cluster',
      },
      workloadIdentity: {
        resourceId: deployedValues.CANOPY_WORKLOAD_IDENTITY_ID,
        clientId: deployedValues.CANOPY_WORKLOAD_IDENTITY_CLIENT_ID,
      },
      scorerImage: deployedValues.CANOPY_SCORER_IMAGE,
    });
    expect(Object.isFrozen(cfg.azure)).toBe(true);
    expect(() => loadConfig({ ...env, CANOPY_SUBSCRIPTION_ID: 'not-a-guid', CANOPY_KEY_VAULT_URI: 'http://kv' })).toThrow(
      /CANOPY_SUBSCRIPTION_ID must be a subscription id[\s\S]*CANOPY_KEY_VAULT_URI must be the https URI/,
    );
  });

  it('take the identity-based storage connection, never a connection string', () => {
    const byName = Object.fromEntries(appSettings().map((s) => [s.name, s.value]));
    expect(byName).not.toHaveProperty('AzureWebJobsStorage');
    expect(byName.AzureWebJobsStorage__credential).toBe('managedidentity');
    expect(byName.AzureWebJobsStorage__clientId).toBe(byName.AZURE_CLIENT_ID);
    expect(byName.CANOPY_RUNTIME).toBe('azure');
  });
});
