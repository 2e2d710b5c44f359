import fs from 'node:fs';
import path from 'node:path';
import { mainTemplate, only, repoRoot } from './support/armTemplate';

/** `azd up` finds the service's Function App by its azd-service-name tag, in the resource group it deploys to. */
describe('azd', () => {
  it('azure.yaml deploys this folder as the TypeScript Function App service "api"', () => {
    const azureYaml = fs.readFileSync(path.join(repoRoot, 'azure.yaml'), 'utf8');
    expect(azureYaml).toMatch(/^name: canopy$/m);
    expect(azureYaml).toMatch(/^services:\n {2}api:\n {4}project: \.\n {4}language: ts\n {4}host: function$/m);
  });

  it('the Function App carries the azd-service-name tag of that service', () => {
    expect(only(mainTemplate(), 'Microsoft.Web/sites').tags).toBe("[union(variables('tags'), createObject('azd-service-name', 'api'))]");
  });
});
