import { HDInsightManagementClient } from '@azure/arm-hdinsight';
import { BlobServiceClient } from '@azure/storage-blob';
import { AzureResourcesConfig, CanopyConfig } from '../../config';
import { BlobStore } from '../../ports/blobStore';
import { armClientOptions, azureTlsAgent, azureTokenCredential } from './azureCredential';
import { AzureBlobStore } from './azureBlobStore';
import { HdinsightComputeTarget } from './hdinsightComputeTarget';
import { gatewayPasswordSource } from './keyVaultGatewaySecret';
import { LivyClient } from './livyClient';

/**
 * The HDInsight compute target from the configuration. Against the loopback fakes the clusters' storage is the app's
 * own (Azurite) account, where the Livy fake finds the abfs paths; in Azure it is the clusters' ADLS Gen2 account,
 * reached with the app's identity.
 */
export function createHdinsightComputeTarget(cfg: CanopyConfig, azure: AzureResourcesConfig, data: BlobStore): HdinsightComputeTarget {
  const credential = azureTokenCredential(azure);
  const arm = new HDInsightManagementClient(credential, azure.subscriptionId, armClientOptions(azure));
  const gatewayPassword = gatewayPasswordSource(azure, credential);
  const clusterStorage =
    azure.fakes || !azure.clusterStorage.blobServiceUri
      ? data
      : new AzureBlobStore(new BlobServiceClient(azure.clusterStorage.blobServiceUri, credential));
  return new HdinsightComputeTarget({
    azure,
    clusters: arm.clusters,
    livy: (cluster) =>
      new LivyClient({
        baseUrl: azure.livyEndpoint.replace('{cluster}', cluster),
        username: azure.hdinsight.gatewayUser,
        password: gatewayPassword,
        agent: azureTlsAgent(azure),
      }),
    gatewayPassword,
    data,
    clusterStorage,
    jobsDir: cfg.local.jobsDir,
    modelsDir: cfg.local.modelsDir,
  });
}
