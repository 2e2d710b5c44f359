import { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import { AzureResourcesConfig, CanopyConfig } from '../../config';
import { AciDeployer } from './aciDeployer';
import { armClientOptions, AzureAccess } from './azureCredential';

/** The ACI deployment target: ARM at `azure.armEndpoint`, reached with `access`. */
export function createAciDeployer(
  cfg: Pick<CanopyConfig, 'healthTimeoutMs'>,
  azure: AzureResourcesConfig,
  access: AzureAccess,
): AciDeployer {
  const client = new ContainerInstanceManagementClient(
    access.credential,
    azure.subscriptionId,
    armClientOptions(azure.armEndpoint, access),
  );
  return new AciDeployer(azure, client, { healthTimeoutMs: cfg.healthTimeoutMs });
}
