/**
 * Built-in role definition ids, copied from Microsoft's published lists, and the roles Canopy's
 * code needs with the reason for each. A role assignment in infra/ must be one of these.
 */

/** Azure RBAC built-in roles: MicrosoftDocs/azure-docs, articles/role-based-access-control/built-in-roles.md ("All" table). */
export const azureBuiltInRoles: Record<string, string> = {
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
  Contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  'Managed Identity Operator': 'f1a07417-d97a-45cb-824c-7a7467783830',
  AcrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d',
};

/** Cosmos DB data-plane built-in roles: learn.microsoft.com/azure/cosmos-db/nosql/security/reference-data-plane-roles. */
export const cosmosBuiltInRoles: Record<string, string> = {
  'Cosmos DB Built-in Data Contributor': '00000000-0000-0000-0000-000000000002',
};

export interface RequiredRole {
  role: string;
  /** The resource type the assignment is scoped to; `resourceGroup` for the compute resource group. */
  scope: string;
  why: string;
}

export const requiredRoles: RequiredRole[] = [
  {
    role: 'Storage Blob Data Owner',
    scope: 'Microsoft.Storage/storageAccounts',
    why: 'Functions host (blob trigger receipts, leases, Flex deployment package) and the data containers the pipeline reads and writes',
  },
  {
    role: 'Storage Queue Data Contributor',
    scope: 'Microsoft.Storage/storageAccounts',
    why: 'Durable task hub control and work-item queues; blob trigger poison queue',
  },
  {
    role: 'Storage Table Data Contributor',
    scope: 'Microsoft.Storage/storageAccounts',
    why: 'Durable task hub history and instance tables',
  },
  {
    role: 'Monitoring Metrics Publisher',
    scope: 'Microsoft.Insights/components',
    why: 'telemetry with Application Insights local auth off',
  },
  { role: 'Key Vault Secrets User', scope: 'Microsoft.KeyVault/vaults', why: 'reads the cluster gateway credential' },
  { role: 'Contributor', scope: 'resourceGroup', why: 'creates and deletes HDInsight clusters and container groups' },
  {
    role: 'Storage Blob Data Owner',
    scope: 'Microsoft.Storage/storageAccounts',
    why: "the clusters' ADLS Gen2 default storage: Canopy stages jobs and inputs there, clusters (running as the identity) read and write it",
  },
  {
    role: 'Managed Identity Operator',
    scope: 'Microsoft.ManagedIdentity/userAssignedIdentities',
    why: 'assigns the identity to the clusters and scorer container groups Canopy creates',
  },
  { role: 'AcrPull', scope: 'Microsoft.ContainerRegistry/registries', why: 'ACI and AKS pull the scorer image as the identity' },
  {
    role: 'Cosmos DB Built-in Data Contributor',
    scope: 'Microsoft.DocumentDB/databaseAccounts',
    why: 'specs, runs, models and ledger documents (data plane only; infra/ creates the database and containers)',
  },
];
