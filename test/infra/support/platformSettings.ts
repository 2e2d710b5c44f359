/**
 * App settings the templates set that Canopy's code does not read: the Functions host, the Azure
 * SDK and Application Insights read them. Every other app setting must be one of
 * `azureSettingNames` in shared/config.ts, and every one of those must be set.
 */
export const platformSettings: Record<string, string> = {
  AzureWebJobsStorage__tableServiceUri: 'the Durable task hub (Azure Storage provider) keeps history and instances in tables',
  AzureWebJobsStorage__credential: 'tells the host to connect to storage with a managed identity instead of a connection string',
  AzureWebJobsStorage__clientId: 'which managed identity the host uses: the user-assigned one',
  AZURE_CLIENT_ID: 'makes DefaultAzureCredential in shared/adapters/azure/clients.ts pick the user-assigned identity',
  APPLICATIONINSIGHTS_CONNECTION_STRING: 'where the host sends telemetry',
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'sends that telemetry with the identity, since Application Insights local auth is off',
};
