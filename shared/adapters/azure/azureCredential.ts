import https from 'node:https';
import { AccessToken, DefaultAzureCredential, TokenCredential } from '@azure/identity';

/**
 * How the Azure adapters reach ARM, Livy, Key Vault and the clusters' storage: the identity they present and the TLS
 * agent of their HTTPS clients (undefined: Node's default, verifying). The composition root decides both.
 */
export interface AzureAccess {
  credential: TokenCredential;
  agent?: https.Agent;
}

let defaultCredential: TokenCredential | undefined;

/** The identity the app runs as in Azure (managed identity there, developer sign-in on a workstation). */
export function defaultAzureCredential(): TokenCredential {
  defaultCredential ??= new DefaultAzureCredential();
  return defaultCredential;
}

/** A credential that always presents `token`, for endpoints that accept one fixed bearer token. */
export function staticTokenCredential(token: string): TokenCredential {
  return {
    async getToken(): Promise<AccessToken> {
      return { token, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
}

/** Options for an `@azure/arm-*` client: ARM at `armEndpoint`, its token scope, and the TLS agent of `access`. */
export function armClientOptions(
  armEndpoint: string,
  access: Pick<AzureAccess, 'agent'>,
): { endpoint: string; credentialScopes: string[]; agent?: https.Agent } {
  // Real ARM tokens are for https://management.azure.com/ whatever the regional endpoint.
  return { endpoint: armEndpoint.replace(/\/+$/, ''), credentialScopes: ['https://management.azure.com/.default'], agent: access.agent };
}
