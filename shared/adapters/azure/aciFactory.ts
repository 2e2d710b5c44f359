import { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import { AzureResourcesConfig, CanopyConfig } from '../../config';
import { AciDeployer } from './aciDeployer';
import { armClientOptions, azureTokenCredential } from './azureCredential';

/** The ACI deployment target: ARM at `azure.armEndpoint` (a loopback fake locally) with the app's credential. */
export function createAciDeployer(cfg: CanopyConfig, azure: AzureResourcesConfig): AciDeployer {
  const client = new ContainerInstanceManagementClient(azureTokenCredential(azure), azure.subscriptionId, armClientOptions(azure));
  return new AciDeployer(azure, client, { healthTimeoutMs: cfg.healthTimeoutMs });
}
