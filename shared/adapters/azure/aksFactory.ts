import { ContainerServiceClient } from '@azure/arm-containerservice';
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { AzureResourcesConfig, CanopyConfig } from '../../config';
import { AksDeployer, KubernetesClients } from './aksDeployer';
import { armCall } from './armErrors';
import { armClientOptions, AzureAccess } from './azureCredential';

/** The Entra ID application of every AKS API server: tokens for it authenticate to clusters with Entra ID integration. */
const aksServerScope = '6dae42f8-4368-4678-94ff-3960e28e3630/.default';

/**
 * The AKS deployment target for `azure.aks.cluster`. The cluster's user kubeconfig (listClusterUserCredential) gives
 * the API server and its CA; its user entry runs kubelogin, which a Functions host has not, so the app's own identity
 * gets the API server token instead (it needs a Kubernetes role in the namespace, e.g. via Azure RBAC for Kubernetes).
 */
export function createAksDeployer(
  cfg: Pick<CanopyConfig, 'healthTimeoutMs'>,
  azure: AzureResourcesConfig & { aks: NonNullable<AzureResourcesConfig['aks']> },
  access: AzureAccess,
): AksDeployer {
  const { credential } = access;
  const { endpoint, agent } = armClientOptions(azure.armEndpoint, access);
  const arm = new ContainerServiceClient(credential, azure.subscriptionId, { endpoint, ...(agent ? { agent } : {}) });
  let current: { clients: KubernetesClients; expiresAt: number } | undefined;
  const clients = async (): Promise<KubernetesClients> => {
    if (current && current.expiresAt - Date.now() > 5 * 60_000) return current.clients;
    const credentials = await armCall(() => arm.managedClusters.listClusterUserCredentials(azure.computeResourceGroup, azure.aks.cluster));
    const value = credentials.kubeconfigs?.[0]?.value;
    if (!value) throw new Error(`AKS cluster ${azure.aks.cluster} returned no user kubeconfig`);
    const fromAks = new KubeConfig();
    fromAks.loadFromString(Buffer.from(value).toString('utf8'));
    const cluster = fromAks.getCurrentCluster();
    if (!cluster) throw new Error(`the kubeconfig of AKS cluster ${azure.aks.cluster} names no current cluster`);
    const token = await credential.getToken(aksServerScope);
    if (!token) throw new Error('no token for the AKS API server');
    const kubeconfig = new KubeConfig();
    kubeconfig.loadFromOptions({
      clusters: [cluster],
      users: [{ name: 'canopy', token: token.token }],
      contexts: [{ name: 'canopy', cluster: cluster.name, user: 'canopy' }],
      currentContext: 'canopy',
    });
    current = {
      clients: { apps: kubeconfig.makeApiClient(AppsV1Api), core: kubeconfig.makeApiClient(CoreV1Api) },
      expiresAt: token.expiresOnTimestamp,
    };
    return current.clients;
  };
  return new AksDeployer(azure, { namespace: azure.aks.namespace, healthTimeoutMs: cfg.healthTimeoutMs, clients });
}
