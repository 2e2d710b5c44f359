import { ConfigError, loadConfig } from '../../shared/config';

const local = {
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  CANOPY_COSMOS_ENDPOINT: 'https://127.0.0.1:8081/',
  CANOPY_COSMOS_EMULATOR_KEY: 'k',
};

/** The Azure resource settings infra/ sets, as Azure resolves them. */
const azureResources = {
  CANOPY_SUBSCRIPTION_ID: '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b',
  CANOPY_COMPUTE_RESOURCE_GROUP: 'rg-canopy-compute',
  CANOPY_LOCATION: 'eastus',
  CANOPY_CLUSTER_STORAGE_RESOURCE_ID: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stcluster',
  CANOPY_WORKLOAD_IDENTITY_ID: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-canopy',
  CANOPY_WORKLOAD_IDENTITY_CLIENT_ID: '0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d',
  CANOPY_SCORER_IMAGE: 'crcanopy.azurecr.io/canopy-scorer:0.1.0',
};

describe('configuration', () => {
  it('reads the local runtime and freezes the result', () => {
    const cfg = loadConfig(local);
    expect(cfg.runtime).toBe('local');
    expect(cfg.cosmos).toMatchObject({ endpoint: 'https://127.0.0.1:8081/', database: 'canopy', emulator: true });
    expect(Object.isFrozen(cfg)).toBe(true);
    expect(Object.isFrozen(cfg.cosmos)).toBe(true);
  });

  it('lists every problem at once', () => {
    try {
      loadConfig({ CANOPY_RUNTIME: 'mars', CANOPY_HEALTH_TIMEOUT_MS: '-3' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toEqual([
        'CANOPY_RUNTIME must be "local" or "azure" (got "mars").',
        'AzureWebJobsStorage must hold the local storage (Azurite) connection string.',
        'CANOPY_COSMOS_ENDPOINT must be the https endpoint of the Cosmos DB account.',
        'CANOPY_HEALTH_TIMEOUT_MS must be a positive integer.',
      ]);
    }
  });

  it('uses identity endpoints in Azure and refuses a key there', () => {
    const azure = {
      CANOPY_RUNTIME: 'azure',
      AzureWebJobsStorage__blobServiceUri: 'https://acct.blob.core.windows.net',
      AzureWebJobsStorage__queueServiceUri: 'https://acct.queue.core.windows.net',
      CANOPY_COSMOS_ENDPOINT: 'https://acct.documents.azure.com:443/',
      ...azureResources,
      CANOPY_KEY_VAULT_URI: 'https://kv.vault.azure.net/',
      CANOPY_CLUSTER_STORAGE_URI: 'https://stcluster.blob.core.windows.net/',
    };
    expect(loadConfig(azure).cosmos.emulator).toBe(false);
    expect(() => loadConfig({ ...azure, CANOPY_COSMOS_EMULATOR_KEY: 'k' })).toThrow(/for the local emulator only/);
  });
});

describe('Azure resources configuration', () => {
  const fakes = {
    ...local,
    ...azureResources,
    CANOPY_ARM_ENDPOINT: 'http://127.0.0.1:4100',
    CANOPY_LIVY_ENDPOINT: 'http://127.0.0.1:4101/{cluster}/livy',
    CANOPY_HDINSIGHT_GATEWAY_PASSWORD: 'fake-only',
  };

  it('is absent locally unless the ARM fake is configured', () => {
    expect(loadConfig(local).azure).toBeUndefined();
    const cfg = loadConfig(fakes);
    expect(cfg.azure).toMatchObject({
      fakes: true,
      armEndpoint: 'http://127.0.0.1:4100',
      location: 'eastus',
      hdinsight: { gatewayUser: 'canopy', gatewayPassword: 'fake-only', gatewayPasswordSecret: 'hdinsight-gateway-password' },
      clusterStorage: { container: 'canopy-cluster' },
      aks: undefined,
    });
    expect(Object.isFrozen(cfg.azure?.hdinsight)).toBe(true);
  });

  it('refuses a real ARM endpoint in the local runtime and names each missing setting', () => {
    expect(() => loadConfig({ ...fakes, CANOPY_ARM_ENDPOINT: 'https://management.azure.com' })).toThrow(/must be a loopback fake/);
    try {
      loadConfig({ ...local, CANOPY_ARM_ENDPOINT: 'http://127.0.0.1:4100', CANOPY_SCORER_IMAGE: 'no tag' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      const problems = (err as ConfigError).problems.join('\n');
      for (const name of [
        'CANOPY_SUBSCRIPTION_ID',
        'CANOPY_LOCATION',
        'CANOPY_WORKLOAD_IDENTITY_ID',
        'CANOPY_SCORER_IMAGE',
        'CANOPY_HDINSIGHT_GATEWAY_PASSWORD',
      ])
        expect(problems).toContain(name);
    }
  });

  it('never takes the gateway password from the environment in Azure', () => {
    const azure = {
      ...fakes,
      CANOPY_RUNTIME: 'azure',
      AzureWebJobsStorage: undefined,
      CANOPY_COSMOS_EMULATOR_KEY: undefined,
      AzureWebJobsStorage__blobServiceUri: 'https://acct.blob.core.windows.net',
      AzureWebJobsStorage__queueServiceUri: 'https://acct.queue.core.windows.net',
      CANOPY_ARM_ENDPOINT: undefined,
      CANOPY_LIVY_ENDPOINT: undefined,
      CANOPY_KEY_VAULT_URI: 'https://kv.vault.azure.net/',
      CANOPY_CLUSTER_STORAGE_URI: 'https://stcluster.blob.core.windows.net/',
    };
    expect(() => loadConfig(azure)).toThrow(/CANOPY_HDINSIGHT_GATEWAY_PASSWORD is for the local fakes only/);
    const cfg = loadConfig({ ...azure, CANOPY_HDINSIGHT_GATEWAY_PASSWORD: undefined });
    expect(cfg.azure).toMatchObject({
      fakes: false,
      armEndpoint: 'https://management.azure.com',
      livyEndpoint: 'https://{cluster}.azurehdinsight.net/livy',
    });
    expect(cfg.azure?.hdinsight.gatewayPassword).toBeUndefined();
  });

  it('overrides list prices from CANOPY_PRICES and rejects a bad table', () => {
    expect(loadConfig({ ...local, CANOPY_PRICES: '{"Standard_D12_v2": 0.5}' }).prices.Standard_D12_v2).toBe(0.5);
    expect(() => loadConfig({ ...local, CANOPY_PRICES: '{"Standard_D12_v2": -1}' })).toThrow(/CANOPY_PRICES must be a JSON object/);
  });
});
