import { SecretClient } from '@azure/keyvault-secrets';
import { TokenCredential } from '@azure/identity';

const cacheMs = 10 * 60_000;

/**
 * The HDInsight gateway password, read from Key Vault secret `secretName` with `credential`, cached for ten minutes so
 * a rotation is picked up. It is only ever put in the cluster create body and the Livy basic-auth header: never
 * logged, stored, or returned.
 */
export function keyVaultGatewayPassword(keyVaultUri: string, secretName: string, credential: TokenCredential): () => Promise<string> {
  // A pinned, long-GA Key Vault API version rather than whatever the SDK release defaults to.
  const client = new SecretClient(keyVaultUri, credential, { serviceVersion: '7.5' });
  let cached: { value: Promise<string>; at: number } | undefined;
  return () => {
    if (!cached || Date.now() - cached.at > cacheMs) {
      const value = client.getSecret(secretName).then((secret) => {
        if (!secret.value) throw new Error(`Key Vault secret ${secretName} is empty`);
        return secret.value;
      });
      value.catch(() => (cached = undefined));
      cached = { value, at: Date.now() };
    }
    return cached.value;
  };
}
