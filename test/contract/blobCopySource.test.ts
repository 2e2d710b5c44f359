import { copyAccounts, sharedKeySigner, UserDelegationSigner } from '../../shared/adapters/azure/blobCopySource';
import { ConfigError, loadConfig } from '../../shared/config';
import { testEndpoints } from '../support/testStack';

// Which account a spec's `data.source.connection` names, and how its blobs are signed for the target to read.
const local = {
  AzureWebJobsStorage: testEndpoints.storageConnectionString,
  CANOPY_COSMOS_ENDPOINT: 'https://127.0.0.1:8081/',
  CANOPY_COSMOS_EMULATOR_KEY: 'k',
};

describe('copy sources', () => {
  it('reads named source accounts from CANOPY_SOURCE_<NAME>_* and resolves a connection case-insensitively', () => {
    const cfg = loadConfig({
      ...local,
      CANOPY_SOURCE_LANDUSE_CONNECTION_STRING: testEndpoints.storageConnectionString,
      CANOPY_SOURCE_RAW_LOGS_BLOB_URI: 'https://stlogs.blob.core.windows.net',
    });
    expect(cfg.copySources).toEqual({
      LANDUSE: { connectionString: testEndpoints.storageConnectionString },
      RAW_LOGS: { blobServiceUri: 'https://stlogs.blob.core.windows.net' },
    });
    const named = copyAccounts(cfg, 'landUse');
    expect(named.source.url).toBe(`http://127.0.0.1:${testEndpoints.ports.blob}/devstoreaccount1`);
    expect(copyAccounts(cfg, 'raw_logs').source.url).toBe('https://stlogs.blob.core.windows.net/');
    expect(copyAccounts(cfg, 'raw_logs').signer).toBeInstanceOf(UserDelegationSigner);
    expect(() => copyAccounts(cfg, 'unknown')).toThrow(expect.objectContaining({ code: 'DATA.UNKNOWN_CONNECTION' }));
  });

  it('refuses a source connection string or a non-https endpoint in the azure runtime', () => {
    try {
      loadConfig({
        CANOPY_RUNTIME: 'azure',
        CANOPY_SOURCE_A_CONNECTION_STRING: 'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=k',
        CANOPY_SOURCE_B_BLOB_URI: 'http://b.blob.core.windows.net',
      });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems;
      expect(problems).toContain(
        'CANOPY_SOURCE_A_CONNECTION_STRING is for the local runtime only; in Azure the source is read with the identity.',
      );
      expect(problems).toContain('CANOPY_SOURCE_B_BLOB_URI must be a blob endpoint URL.');
    }
  });

  it('signs a read-only, expiring SAS for a blob of a shared-key account', async () => {
    const { source } = copyAccounts(loadConfig(local));
    const url = new URL(await sharedKeySigner(source).signedUrl('c', 'in/a b.png'));
    expect(url.pathname).toBe('/devstoreaccount1/c/in/a%20b.png');
    expect(url.searchParams.get('sp')).toBe('r');
    expect(url.searchParams.get('sig')).toBeTruthy();
    expect(Date.parse(url.searchParams.get('se') ?? '') - Date.now()).toBeGreaterThan(30 * 60_000);
  });
});
