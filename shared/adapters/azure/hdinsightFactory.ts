import https from 'node:https';
import { HDInsightManagementClient } from '@azure/arm-hdinsight';
import { AzureResourcesConfig } from '../../config';
import { BlobStore } from '../../ports/blobStore';
import { armClientOptions, AzureAccess } from './azureCredential';
import { HdinsightComputeTarget } from './hdinsightComputeTarget';
import { JobEnvironment } from './hdinsightJobBundle';
import { LivyClient } from './livyClient';

export interface HdinsightWiring {
  azure: AzureResourcesConfig;
  /** For ARM. */
  access: AzureAccess;
  /** The TLS agent of the Livy clients (undefined: Node's default, verifying). */
  livyAgent?: https.Agent;
  /** The cluster gateway password (create body and Livy basic auth). */
  gatewayPassword(): Promise<string>;
  /** The app's storage: batch inputs are read from it, outputs brought back to it. */
  data: BlobStore;
  /** The clusters' default storage, container `azure.clusterStorage.container`. */
  clusterStorage: BlobStore;
  jobsDir: string;
  modelsDir: string;
  /** The jobs' Python environment to ship (default: the one packed under `jobsDir`; none against the fakes). */
  jobEnvironment?: JobEnvironment;
}

/** The HDInsight compute target: ARM's clusters API (reached with `access`) and each cluster's Livy. */
export function createHdinsightComputeTarget(wiring: HdinsightWiring): HdinsightComputeTarget {
  const { azure, access } = wiring;
  const arm = new HDInsightManagementClient(access.credential, azure.subscriptionId, armClientOptions(azure.armEndpoint, access));
  return new HdinsightComputeTarget({
    azure,
    clusters: arm.clusters,
    livy: (cluster) =>
      new LivyClient({
        baseUrl: azure.livyEndpoint.replace('{cluster}', cluster),
        username: azure.hdinsight.gatewayUser,
        password: wiring.gatewayPassword,
        agent: wiring.livyAgent,
      }),
    gatewayPassword: wiring.gatewayPassword,
    data: wiring.data,
    clusterStorage: wiring.clusterStorage,
    jobsDir: wiring.jobsDir,
    modelsDir: wiring.modelsDir,
    jobEnvironment: wiring.jobEnvironment,
  });
}
