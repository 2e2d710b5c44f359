import { ArmFake } from '../../devhost/azureFakes/arm/armFake';
import { registerManagedCluster } from '../../devhost/azureFakes/containerServiceClusters';
import { KubernetesFake } from '../../devhost/azureFakes/kubernetesFake';
import { AksDeployer } from '../../shared/adapters/azure/aksDeployer';
import { aksDeployer, fakeAzureToken } from '../../shared/composition';
import { AzureResourcesConfig } from '../../shared/config';
import { testEndpoints } from '../support/testStack';
import { armFakeFor, scorerEntry } from './deployerAzure';

export const aksResourceGroup = 'canopy-aks';
export const aksCluster = 'canopy-serving';

/** The ARM fake serving an existing AKS cluster whose API server is the Kubernetes fake, and an AksDeployer for it. */
export async function startAksFakes(progressDeadlineMs: number): Promise<{
  arm: ArmFake;
  kube: KubernetesFake;
  azure: AzureResourcesConfig;
  deployer: AksDeployer;
  close(): Promise<void>;
}> {
  const aks = { cluster: aksCluster, namespace: 'canopy' };
  const { arm, azure } = await armFakeFor('5b4a3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d', aksResourceGroup, aks);
  const kube = await new KubernetesFake({
    token: fakeAzureToken,
    scorerEntry,
    storageConnectionString: testEndpoints.storageConnectionString,
    progressDeadlineMs,
  }).listen();
  registerManagedCluster(arm, {
    subscriptionId: azure.subscriptionId,
    resourceGroup: aksResourceGroup,
    cluster: aksCluster,
    location: azure.location,
    kubeconfig: () => kube.kubeconfig(aksCluster),
  });
  const deployer = aksDeployer({ healthTimeoutMs: 2000 }, { ...azure, aks });
  return {
    arm,
    kube,
    azure,
    deployer,
    async close() {
      await kube.close();
      await arm.close();
    },
  };
}
