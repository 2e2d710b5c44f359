import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { ArmFake } from '../../devhost/azureFakes/arm/armFake';
import { ContainerInstanceFake } from '../../devhost/azureFakes/containerInstanceFake';
import { registerManagedCluster } from '../../devhost/azureFakes/containerServiceClusters';
import { GatewayCredentials, hdinsightClusters } from '../../devhost/azureFakes/hdinsightClusters';
import { KubernetesFake } from '../../devhost/azureFakes/kubernetesFake';
import { LivyFake } from '../../devhost/azureFakes/livyFake';
import { LivyRunner, LocalSparkLivyRunner, RecordedLivyRunner } from '../../devhost/azureFakes/livyRunners';
import { resourceGroupResourcesRoute } from '../../devhost/azureFakes/resourceGroupResources';
import { AzureBlobStore } from '../../shared/adapters/azure/azureBlobStore';
import { LocalSparkComputeTarget } from '../../shared/adapters/local/localSparkComputeTarget';
import { fakeAzureToken } from '../../shared/composition';
import { AzureResourcesConfig, loadConfig } from '../../shared/config';
import { testAppSettings, testEndpoints } from './testStack';

export const fakeSubscription = '6a3c6f44-7f2e-4b4e-9d0c-4d2f3b1a0c11';
export const fakeResourceGroup = 'canopy-compute';
export const fakeClusterAccount = 'canopyclusters';
export const fakeAksCluster = 'canopy-serving';
export const fakeAksNamespace = 'canopy';
const repoRoot = path.resolve(__dirname, '..', '..');

export interface AzureFakes {
  arm: ArmFake;
  livy: LivyFake;
  /** Set when the Livy fake plays back recorded outcomes. */
  recorded?: RecordedLivyRunner;
  aci?: ContainerInstanceFake;
  /** Set when the fakes serve an AKS cluster (`fakeAksCluster` in the compute resource group). */
  kube?: KubernetesFake;
  /** The settings a devhost (or `loadConfig`) needs to use the Azure adapters against these fakes. */
  env: Record<string, string>;
  azure: AzureResourcesConfig;
  clusterId(name: string): string;
  close(): Promise<void>;
}

export interface AzureFakesOptions {
  /** `spark` really runs each Livy batch on local Spark; `recorded` plays back outcomes (fast). */
  runner: 'spark' | 'recorded';
  provisionMs?: number;
  deleteMs?: number;
  /** Also serve Container Instances (containers run the compiled scorer; build first). */
  aci?: boolean;
  /** How long a container group takes to provision (default 300 ms). */
  aciProvisionMs?: number;
  /** Also serve an existing AKS cluster whose API server is the Kubernetes fake (pods run the compiled scorer). */
  aks?: { progressDeadlineMs?: number };
}

/**
 * Starts the ARM fake (with the HDInsight provider) and the Livy fake on loopback, with the clusters' storage in a
 * container of its own in the test Azurite, and returns the settings that point the app at them.
 */
export async function startAzureFakes(opts: AzureFakesOptions): Promise<AzureFakes> {
  const container = `canopy-cluster-${randomUUID().slice(0, 8)}`;
  const storage = new AzureBlobStore(BlobServiceClient.fromConnectionString(testEndpoints.storageConnectionString));
  const arm = await new ArmFake({
    token: fakeAzureToken,
    subscriptionId: fakeSubscription,
    resourceGroups: [fakeResourceGroup],
    pollAfterSeconds: 0,
  })
    .register(hdinsightClusters({ provisionMs: opts.provisionMs ?? 1500, deleteMs: opts.deleteMs ?? 500 }))
    .listen();
  // The reaper's inventory lists the resource group, as it does in Azure.
  arm.route(resourceGroupResourcesRoute(arm));
  const aci = opts.aci
    ? new ContainerInstanceFake(arm, {
        scorerEntry: path.join(repoRoot, 'dist', 'scoring', 'main.js'),
        storageConnectionString: testEndpoints.storageConnectionString,
        provisionMs: opts.aciProvisionMs ?? 300,
        deleteMs: 200,
      })
    : undefined;
  const kube = opts.aks
    ? await new KubernetesFake({
        token: fakeAzureToken,
        scorerEntry: path.join(repoRoot, 'dist', 'scoring', 'main.js'),
        storageConnectionString: testEndpoints.storageConnectionString,
        progressDeadlineMs: opts.aks.progressDeadlineMs,
      }).listen()
    : undefined;
  if (kube)
    registerManagedCluster(arm, {
      subscriptionId: fakeSubscription,
      resourceGroup: fakeResourceGroup,
      cluster: fakeAksCluster,
      location: 'eastus',
      kubeconfig: () => kube.kubeconfig(fakeAksCluster),
    });
  const clusterId = (name: string) => arm.resourceId(fakeResourceGroup, 'Microsoft.HDInsight/clusters', name);
  const recorded = opts.runner === 'recorded' ? new RecordedLivyRunner(storage) : undefined;
  const runner: LivyRunner =
    recorded ??
    new LocalSparkLivyRunner(
      new LocalSparkComputeTarget({
        rootDir: fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-livy-')),
        jobsDir: path.join(repoRoot, 'jobs'),
        modelsDir: path.join(repoRoot, '.canopy', 'models'),
        blobs: storage,
      }),
    );
  const gateway = (cluster: string): GatewayCredentials | undefined => {
    const view = arm.resource(clusterId(cluster));
    return view?.resource.properties.clusterState === 'Running' ? (view.hidden as GatewayCredentials) : undefined;
  };
  const livy = await new LivyFake({ gateway, runner, storage, account: fakeClusterAccount }).listen();
  const env: Record<string, string> = {
    CANOPY_ARM_ENDPOINT: arm.url,
    CANOPY_LIVY_ENDPOINT: livy.endpoint,
    CANOPY_SUBSCRIPTION_ID: fakeSubscription,
    CANOPY_COMPUTE_RESOURCE_GROUP: fakeResourceGroup,
    CANOPY_LOCATION: 'eastus',
    // A throwaway password for the fake gateway only (the fakes have no Key Vault).
    CANOPY_HDINSIGHT_GATEWAY_PASSWORD: `Fake-${randomUUID()}`,
    CANOPY_CLUSTER_STORAGE_RESOURCE_ID: `/subscriptions/${fakeSubscription}/resourceGroups/${fakeResourceGroup}/providers/Microsoft.Storage/storageAccounts/${fakeClusterAccount}`,
    CANOPY_CLUSTER_STORAGE_CONTAINER: container,
    CANOPY_WORKLOAD_IDENTITY_ID: `/subscriptions/${fakeSubscription}/resourceGroups/${fakeResourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/canopy-workload`,
    CANOPY_WORKLOAD_IDENTITY_CLIENT_ID: '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0',
    CANOPY_SCORER_IMAGE: 'canopyregistry.azurecr.io/canopy-scorer:test',
    ...(kube ? { CANOPY_AKS_CLUSTER: fakeAksCluster, CANOPY_AKS_NAMESPACE: fakeAksNamespace } : {}),
  };
  const azure = loadConfig({ ...testAppSettings(), ...env }).azure as AzureResourcesConfig;
  return {
    arm,
    livy,
    recorded,
    aci,
    kube,
    env,
    azure,
    clusterId,
    async close() {
      await livy.close();
      await aci?.close();
      await kube?.close();
      await arm.close();
    },
  };
}
