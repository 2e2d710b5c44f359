import path from 'node:path';
import { ArmFake } from '../../devhost/azureFakes/arm/armFake';
import { fakeAzureToken } from '../../shared/composition';
import { AzureResourcesConfig } from '../../shared/config';

/** The compiled model server the fakes' containers and pods run. */
export const scorerEntry = path.resolve(__dirname, '..', '..', 'dist', 'scoring', 'main.js');

/** An ARM fake for one subscription and resource group, and the Azure resource settings that point the adapters at it. */
export async function armFakeFor(
  subscriptionId: string,
  resourceGroup: string,
  aks?: AzureResourcesConfig['aks'],
): Promise<{ arm: ArmFake; azure: AzureResourcesConfig }> {
  const arm = await new ArmFake({ token: fakeAzureToken, subscriptionId, resourceGroups: [resourceGroup], pollAfterSeconds: 0 }).listen();
  const azure: AzureResourcesConfig = {
    subscriptionId,
    computeResourceGroup: resourceGroup,
    location: 'eastus',
    armEndpoint: arm.url,
    livyEndpoint: 'https://{cluster}.invalid/livy',
    fakes: true,
    hdinsight: { gatewayUser: 'canopy', gatewayPasswordSecret: 'unused' },
    clusterStorage: {
      resourceId: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Storage/storageAccounts/stcluster`,
      container: 'canopy-cluster',
    },
    workloadIdentity: {
      resourceId: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/canopy-workload`,
      clientId: '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0',
    },
    scorerImage: 'canopyregistry.azurecr.io/canopy-scorer:test',
    aks,
  };
  return { arm, azure };
}
