import path from 'node:path';
import { startDevhost } from '../support/devhostProcess';
import { uniqueHub } from './durableHarness';

const fixture = (name: string): string => path.resolve(__dirname, 'fixtures', name);

describe('an app the real host would refuse at indexing fails the devhost start with a clear message', () => {
  test('output bindings the devhost does not write and unresolved %Setting% values are named with their function', async () => {
    const start = startDevhost({ appDir: fixture('unsupportedBindingsApp') });
    await expect(start).rejects.toThrow(
      /Error indexing function 'archiveOrder': output binding 'archived' of type 'blob' is not supported/,
    );
    await expect(start).rejects.toThrow(
      /Error indexing function 'textCustomer': output binding 'sms' of type 'twilioSms' is not supported/,
    );
    await expect(start).rejects.toThrow(
      /Error indexing function 'routedBySetting': binding '[^']+' property 'route': '%NO_SUCH_ROUTE_SETTING%' does not resolve to a value/,
    );
  });

  test('a host.json naming another Durable storage provider is refused by name, not with "Invalid URL"', async () => {
    const start = startDevhost({ appDir: fixture('otherStorageProviderApp'), env: { DURABLE_HUB: uniqueHub() } });
    await expect(start).rejects.toThrow(/storageProvider\.type is 'mssql': the devhost implements only the Azure Storage provider/);
    await expect(start).rejects.not.toThrow(/Invalid URL/);
  });

  test('a task hub connection that is not a storage account is named, not "Invalid URL"', async () => {
    const sql = 'Server=tcp:sql.example,1433;Database=hub;User ID=app;Password=not-a-real-one';
    const start = startDevhost({ appDir: fixture('sqlConnectionApp'), env: { DURABLE_HUB: uniqueHub(), SQLDB_Connection: sql } });
    await expect(start).rejects.toThrow(/connection 'SQLDB_Connection' is not an Azure Storage connection string/);
    await expect(start).rejects.not.toThrow(/Invalid URL|not-a-real-one/);
  });
});
