import { azureSettingNames, loadConfig } from '../../shared/config';
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
};

describe('Function App settings', () => {
  const names = appSettings().map((s) => s.name);
  const canopyNames = names.filter((n) => !(n in platformSettings));

  it("are exactly the settings shared/config.ts reads in Azure mode, plus the platform's own", () => {
    expect([...canopyNames].sort()).toEqual([...azureSettingNames].sort());
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
    expect(cfg.azure).toEqual({
      subscriptionId: deployedValues.CANOPY_SUBSCRIPTION_ID,
      computeResourceGroup: deployedValues.CANOPY_COMPUTE_RESOURCE_GROUP,
      keyVaultUri: deployedValues.CANOPY_KEY_VAULT_URI,
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
