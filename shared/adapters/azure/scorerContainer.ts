import { AzureResourcesConfig } from '../../config';
import { DeploymentRequest } from '../../ports/deployer';

/** The port the scorer image listens on (scoring/Dockerfile). */
export const scorerPort = 8080;

/**
 * What a scorer container runs with, on ACI and AKS alike: the image and the settings `scoring/main.ts` reads. The
 * package is read with the workload identity (AZURE_CLIENT_ID selects it), so no storage key or SAS is passed.
 */
export function scorerContainerSpec(
  azure: AzureResourcesConfig,
  request: DeploymentRequest,
): { image: string; env: Record<string, string> } {
  return {
    image: azure.scorerImage,
    env: {
      MODEL_PACKAGE_URI: request.packageUri,
      MODEL_NAME: request.model,
      MODEL_VERSION: String(request.version),
      SCORER_PORT: String(scorerPort),
      AZURE_CLIENT_ID: azure.workloadIdentity.clientId,
    },
  };
}
