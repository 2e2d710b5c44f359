/**
 * Resource types and api-versions this repository deploys, each with the Azure REST API
 * specification (github.com/Azure/azure-rest-api-specs) that publishes it. A new type or version
 * goes here only after it is found in that repository's `stable/` folder.
 */
export interface PublishedApiVersion {
  type: string;
  apiVersion: string;
  spec: string;
}

const specs = 'specification';

export const publishedApiVersions: PublishedApiVersion[] = [
  {
    type: 'Microsoft.ManagedIdentity/userAssignedIdentities',
    apiVersion: '2023-01-31',
    spec: `${specs}/msi/resource-manager/Microsoft.ManagedIdentity/stable/2023-01-31/ManagedIdentity.json`,
  },
  {
    type: 'Microsoft.Storage/storageAccounts',
    apiVersion: '2023-05-01',
    spec: `${specs}/storage/resource-manager/Microsoft.Storage/stable/2023-05-01/storage.json`,
  },
  {
    type: 'Microsoft.Storage/storageAccounts/blobServices',
    apiVersion: '2023-05-01',
    spec: `${specs}/storage/resource-manager/Microsoft.Storage/stable/2023-05-01/blob.json`,
  },
  {
    type: 'Microsoft.Storage/storageAccounts/blobServices/containers',
    apiVersion: '2023-05-01',
    spec: `${specs}/storage/resource-manager/Microsoft.Storage/stable/2023-05-01/blob.json`,
  },
  {
    type: 'Microsoft.OperationalInsights/workspaces',
    apiVersion: '2023-09-01',
    spec: `${specs}/operationalinsights/resource-manager/Microsoft.OperationalInsights/stable/2023-09-01/Workspaces.json`,
  },
  {
    type: 'Microsoft.Insights/components',
    apiVersion: '2020-02-02',
    spec: `${specs}/applicationinsights/resource-manager/Microsoft.Insights/stable/2020-02-02/components_API.json`,
  },
  {
    type: 'Microsoft.DocumentDB/databaseAccounts',
    apiVersion: '2024-11-15',
    spec: `${specs}/cosmos-db/resource-manager/Microsoft.DocumentDB/stable/2024-11-15/cosmos-db.json`,
  },
  {
    type: 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases',
    apiVersion: '2024-11-15',
    spec: `${specs}/cosmos-db/resource-manager/Microsoft.DocumentDB/stable/2024-11-15/cosmos-db.json`,
  },
  {
    type: 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers',
    apiVersion: '2024-11-15',
    spec: `${specs}/cosmos-db/resource-manager/Microsoft.DocumentDB/stable/2024-11-15/cosmos-db.json`,
  },
  {
    type: 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments',
    apiVersion: '2024-11-15',
    spec: `${specs}/cosmos-db/resource-manager/Microsoft.DocumentDB/stable/2024-11-15/rbac.json`,
  },
  {
    type: 'Microsoft.ContainerRegistry/registries',
    apiVersion: '2023-07-01',
    spec: `${specs}/containerregistry/resource-manager/Microsoft.ContainerRegistry/stable/2023-07-01/containerregistry.json`,
  },
  {
    type: 'Microsoft.KeyVault/vaults',
    apiVersion: '2024-11-01',
    spec: `${specs}/keyvault/resource-manager/Microsoft.KeyVault/stable/2024-11-01/keyvault.json`,
  },
  {
    type: 'Microsoft.Web/serverfarms',
    apiVersion: '2024-04-01',
    spec: `${specs}/web/resource-manager/Microsoft.Web/stable/2024-04-01/AppServicePlans.json`,
  },
  {
    // functionAppConfig (Flex Consumption) is in this version; see examples/CreateOrUpdateFunctionAppFlexConsumptionWithDetails.json beside it.
    type: 'Microsoft.Web/sites',
    apiVersion: '2024-04-01',
    spec: `${specs}/web/resource-manager/Microsoft.Web/stable/2024-04-01/WebApps.json`,
  },
  {
    // authsettingsV2 (App Service Authentication of the dashboard) is a sites/config resource in this spec.
    type: 'Microsoft.Web/sites/config',
    apiVersion: '2024-04-01',
    spec: `${specs}/web/resource-manager/Microsoft.Web/stable/2024-04-01/WebApps.json`,
  },
  {
    type: 'Microsoft.Web/sites/basicPublishingCredentialsPolicies',
    apiVersion: '2024-04-01',
    spec: `${specs}/web/resource-manager/Microsoft.Web/stable/2024-04-01/WebApps.json`,
  },
  {
    type: 'Microsoft.Authorization/roleAssignments',
    apiVersion: '2022-04-01',
    spec: `${specs}/authorization/resource-manager/Microsoft.Authorization/stable/2022-04-01/authorization-RoleAssignmentsCalls.json`,
  },
  {
    type: 'Microsoft.Resources/deployments',
    apiVersion: '2022-09-01',
    spec: `${specs}/resources/resource-manager/Microsoft.Resources/stable/2022-09-01/resources.json`,
  },
];
