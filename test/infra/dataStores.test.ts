import fs from 'node:fs';
import path from 'node:path';
import { cosmosContainers, cosmosDefaultTtl } from '../../shared/adapters/azure/cosmosSchema';
import { pipelineSpecSchema } from '../../shared/domain/pipelineSpec';
import { ArmResource, mainTemplate, repoRoot, resourcesOfType } from './support/armTemplate';

const variables = mainTemplate().variables as {
  cosmosDatabaseName: string;
  cosmosContainers: { id: string; partitionKey: { paths: string[]; kind: string }; defaultTtl?: number }[];
  dataContainers: string[];
};

/** Creates one resource per entry of variables(name). */
const loopsOver = (resource: ArmResource, name: string) => resource.copy?.count === `[length(variables('${name}'))]`;

describe('data stores', () => {
  const template = mainTemplate();

  it('Cosmos DB has the database and exactly the containers and partition keys the adapters use', () => {
    // Azure Cosmos DB data-plane roles cannot create containers: the template has to.
    expect(Object.fromEntries(variables.cosmosContainers.map((c) => [c.id, c.partitionKey.paths.join()]))).toEqual(cosmosContainers);
    expect(variables.cosmosContainers.every((c) => c.partitionKey.kind === 'Hash')).toBe(true);
    // Time to live as the adapters create it locally: on (no default) where documents set their own `ttl`.
    expect(Object.fromEntries(variables.cosmosContainers.filter((c) => 'defaultTtl' in c).map((c) => [c.id, c.defaultTtl]))).toEqual(
      cosmosDefaultTtl,
    );
    const containers = resourcesOfType(template, 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers');
    expect(containers).toHaveLength(1);
    expect(loopsOver(containers[0], 'cosmosContainers')).toBe(true);
    expect(containers[0].properties).toEqual({ resource: "[variables('cosmosContainers')[copyIndex()]]" });
    expect(variables.cosmosDatabaseName).toBe('canopy');
    expect(resourcesOfType(template, 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases').map((d) => d.properties)).toEqual([
      { resource: { id: "[variables('cosmosDatabaseName')]" } },
    ]);
  });

  it('Cosmos DB is serverless', () => {
    const [account] = resourcesOfType(template, 'Microsoft.DocumentDB/databaseAccounts');
    expect(account.properties?.capabilities).toEqual([{ name: 'EnableServerless' }]);
  });

  it('storage has the landing container the blob trigger watches and the default working and artifacts containers', () => {
    const triggers = fs.readFileSync(path.join(repoRoot, 'functions', 'triggers.ts'), 'utf8');
    const landing = /export const landingContainer = '([^']+)'/.exec(triggers)?.[1];
    const data = pipelineSpecSchema.properties.data.properties;
    expect([...variables.dataContainers].sort()).toEqual(
      [landing, data.working.properties.container.default, data.artifacts.properties.container.default].sort(),
    );
    const containers = resourcesOfType(template, 'Microsoft.Storage/storageAccounts/blobServices/containers');
    expect(containers.filter((c) => loopsOver(c, 'dataContainers'))).toHaveLength(1);
    for (const c of containers) expect(c.properties).toEqual({ publicAccess: 'None' });
  });

  it('the Flex Consumption deployment package lives in its own container, reached with the identity', () => {
    const [site] = resourcesOfType(template, 'Microsoft.Web/sites');
    const config = (site.properties as { functionAppConfig: Record<string, unknown> }).functionAppConfig;
    expect(config.runtime).toEqual({ name: 'node', version: '20' });
    expect(config.deployment).toEqual({
      storage: {
        type: 'blobContainer',
        value: expect.stringContaining("variables('deploymentContainerName')"),
        authentication: {
          type: 'UserAssignedIdentity',
          userAssignedIdentityResourceId: "[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', variables('identityName'))]",
        },
      },
    });
    expect(config.scaleAndConcurrency).toEqual({
      maximumInstanceCount: "[parameters('maximumInstanceCount')]",
      instanceMemoryMB: "[parameters('instanceMemoryMB')]",
    });
  });
});
