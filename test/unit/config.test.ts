import { ConfigError, loadConfig } from '../../shared/config';

const local = {
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  CANOPY_COSMOS_ENDPOINT: 'https://127.0.0.1:8081/',
  CANOPY_COSMOS_EMULATOR_KEY: 'k',
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
    };
    expect(loadConfig(azure).cosmos.emulator).toBe(false);
    expect(() => loadConfig({ ...azure, CANOPY_COSMOS_EMULATOR_KEY: 'k' })).toThrow(/for the local emulator only/);
  });
});
