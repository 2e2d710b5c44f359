import { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import { ArmFake } from '../../devhost/azureFakes/arm/armFake';
import { ContainerInstanceFake } from '../../devhost/azureFakes/containerInstanceFake';
import { AciDeployer } from '../../shared/adapters/azure/aciDeployer';
import { armClientOptions } from '../../shared/adapters/azure/azureCredential';
import { azureAccess } from '../../shared/composition';
import { AzureResourcesConfig } from '../../shared/config';
import { testEndpoints } from '../support/testStack';
import { armFakeFor, scorerEntry } from './deployerAzure';

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
  const { arm, azure } = await armFakeFor('3d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a', aciResourceGroup);
  const aci = new ContainerInstanceFake(arm, {
    scorerEntry,
    storageConnectionString: testEndpoints.storageConnectionString,
    provisionMs: 300,
    deleteMs: 200,
  });
  const client = new ContainerInstanceManagementClient(
    azureAccess(azure).credential,
    azure.subscriptionId,
    armClientOptions(azure.armEndpoint, azureAccess(azure)),
  );
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
