import { SecretClient } from '@azure/keyvault-secrets';
import { TokenCredential } from '@azure/identity';
import { AzureResourcesConfig } from '../../config';

const cacheMs = 10 * 60_000;

/**
 * The HDInsight gateway password: read from Key Vault (secret `hdinsight.gatewayPasswordSecret`) with the app's
 * identity, cached for ten minutes so a rotation is picked up; against the local fakes, which have no Key Vault, the
 * configured test password. It is only ever put in the cluster create body and the Livy basic-auth header: never
 * logged, stored, or returned.
 */
export function gatewayPasswordSource(azure: AzureResourcesConfig, credential: TokenCredential): () => Promise<string> {
  const fixed = azure.hdinsight.gatewayPassword;
  if (fixed) return async () => fixed;
  if (!azure.keyVaultUri) throw new Error('the HDInsight gateway password needs CANOPY_KEY_VAULT_URI');
  // A pinned, long-GA Key Vault API version rather than whatever the SDK release defaults to.
  const client = new SecretClient(azure.keyVaultUri, credential, { serviceVersion: '7.5' });
  let cached: { value: Promise<string>; at: number } | undefined;
  return () => {
    if (!cached || Date.now() - cached.at > cacheMs) {
      const value = client.getSecret(azure.hdinsight.gatewayPasswordSecret).then((secret) => {
        if (!secret.value) throw new Error(`Key Vault secret ${azure.hdinsight.gatewayPasswordSecret} is empty`);
        return secret.value;
      });
      value.catch(() => (cached = undefined));
      cached = { value, at: Date.now() };
    }
    return cached.value;
  };
}
