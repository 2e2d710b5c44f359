import path from 'node:path';
import { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import { ArmFake } from '../../devhost/azureFakes/arm/armFake';
import { ContainerInstanceFake } from '../../devhost/azureFakes/containerInstanceFake';
import { AciDeployer } from '../../shared/adapters/azure/aciDeployer';
import { armClientOptions, azureTokenCredential, fakeAzureToken } from '../../shared/adapters/azure/azureCredential';
import { AzureResourcesConfig } from '../../shared/config';
import { testEndpoints } from '../support/testStack';

const subscription = '3d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a';
export const aciResourceGroup = 'canopy-deploy';

/** The ARM fake with Container Instances whose containers run the compiled scorer, and an AciDeployer pointed at it. */
export async function startAciFakes(): Promise<{
  arm: ArmFake;
  aci: ContainerInstanceFake;
  azure: AzureResourcesConfig;
  deployer: AciDeployer;
  client: ContainerInstanceManagementClient;
  close(): Promise<void>;
}> {
  const arm = await new ArmFake({
    token: fakeAzureToken,
    subscriptionId: subscription,
    resourceGroups: [aciResourceGroup],
    pollAfterSeconds: 0,
  }).listen();
  const aci = new ContainerInstanceFake(arm, {
    scorerEntry: path.resolve(__dirname, '..', '..', 'dist', 'scoring', 'main.js'),
    storageConnectionString: testEndpoints.storageConnectionString,
    provisionMs: 300,
    deleteMs: 200,
  });
  const azure: AzureResourcesConfig = {
    subscriptionId: subscription,
    computeResourceGroup: aciResourceGroup,
    location: 'eastus',
    armEndpoint: arm.url,
    livyEndpoint: 'https://{cluster}.invalid/livy',
    fakes: true,
    hdinsight: { gatewayUser: 'canopy', gatewayPasswordSecret: 'unused' },
    clusterStorage: {
      resourceId: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st',
      container: 'canopy-cluster',
    },
    workloadIdentity: {
      resourceId: `/subscriptions/${subscription}/resourceGroups/${aciResourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/canopy-workload`,
      clientId: '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0',
    },
    scorerImage: 'canopyregistry.azurecr.io/canopy-scorer:test',
  };
  const client = new ContainerInstanceManagementClient(azureTokenCredential(azure), subscription, armClientOptions(azure));
  const deployer = new AciDeployer(azure, client, { healthTimeoutMs: 2000 });
  return {
    arm,
    aci,
    azure,
    deployer,
    client,
    async close() {
      await aci.close();
      await arm.close();
    },
  };
}
