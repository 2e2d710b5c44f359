import { ArmFake, ArmHttpError } from './arm/armFake';

/**
 * The part of `Microsoft.ContainerService/managedClusters` the AKS deployer uses, for the ARM fake: GET of an existing
 * cluster and `POST .../listClusterUserCredential`, which answers `{ kubeconfigs: [{ name, value }] }` with the
 * kubeconfig base64-encoded, as the 2026-06-01 REST spec (the version `@azure/arm-containerservice` 25.x sends) says.
 */
export const containerServiceApiVersion = '2026-06-01';

const clusterPath = /^\/subscriptions\/[^/]+\/resourcegroups\/([^/]+)\/providers\/microsoft\.containerservice\/managedclusters\/([^/]+)$/;
const credentialPath =
  /^\/subscriptions\/[^/]+\/resourcegroups\/([^/]+)\/providers\/microsoft\.containerservice\/managedclusters\/([^/]+)\/listclusterusercredential$/;

/** Serves the existing AKS cluster `cluster` in `resourceGroup`, whose API server is described by `kubeconfig`. */
export function registerManagedCluster(
  arm: ArmFake,
  opts: { subscriptionId: string; resourceGroup: string; cluster: string; location: string; kubeconfig: () => string },
): void {
  const known = (group: string, name: string) => {
    if (group !== opts.resourceGroup.toLowerCase() || name !== opts.cluster.toLowerCase())
      throw new ArmHttpError(404, {
        code: 'ResourceNotFound',
        message: `The Resource 'Microsoft.ContainerService/managedClusters/${name}' under resource group '${group}' was not found.`,
      });
  };
  arm.route({
    method: 'GET',
    path: clusterPath,
    apiVersions: [containerServiceApiVersion],
    handle: ({ match }) => {
      known(match[1], match[2]);
      return {
        status: 200,
        body: {
          id: `/subscriptions/${opts.subscriptionId}/resourceGroups/${opts.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${opts.cluster}`,
          name: opts.cluster,
          type: 'Microsoft.ContainerService/ManagedClusters',
          location: opts.location,
          properties: {
            provisioningState: 'Succeeded',
            powerState: { code: 'Running' },
            aadProfile: { managed: true, enableAzureRBAC: true },
          },
        },
      };
    },
  });
  arm.route({
    method: 'POST',
    path: credentialPath,
    apiVersions: [containerServiceApiVersion],
    handle: ({ match }) => {
      known(match[1], match[2]);
      return { status: 200, body: { kubeconfigs: [{ name: 'clusterUser', value: Buffer.from(opts.kubeconfig()).toString('base64') }] } };
    },
  });
}
