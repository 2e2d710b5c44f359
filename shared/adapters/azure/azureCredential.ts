import https from 'node:https';
import { AccessToken, DefaultAzureCredential, TokenCredential } from '@azure/identity';
import { AzureResourcesConfig } from '../../config';

/**
 * The bearer token the loopback fakes of ARM and Livy (`devhost/azureFakes/`) accept. It is not a secret: it only
 * ever opens those in-process fakes, which answer 401 to anything else.
 */
export const fakeAzureToken = 'canopy-fake-arm-token';

const fakeCredential: TokenCredential = {
  async getToken(): Promise<AccessToken> {
    return { token: fakeAzureToken, expiresOnTimestamp: Date.now() + 3_600_000 };
  },
};

let defaultCredential: TokenCredential | undefined;

/** The identity the app runs as in Azure (managed identity there, developer sign-in on a workstation). */
export function defaultAzureCredential(): TokenCredential {
  defaultCredential ??= new DefaultAzureCredential();
  return defaultCredential;
}

/** The credential for ARM, Key Vault and cluster storage: the static fake token against the fakes, the app's identity otherwise. */
export function azureTokenCredential(azure: Pick<AzureResourcesConfig, 'fakes'>): TokenCredential {
  return azure.fakes ? fakeCredential : defaultAzureCredential();
}

// The fakes serve HTTPS with a self-signed loopback certificate (bearer tokens are never sent over plain HTTP, by the
// SDK's own rule), so verification is relaxed for clients of the fakes only.
const fakesAgent = new https.Agent({ rejectUnauthorized: false, keepAlive: true });

/** The TLS agent for a client of `azure`'s endpoints: undefined (the default, verifying) unless they are the loopback fakes. */
export function azureTlsAgent(azure: Pick<AzureResourcesConfig, 'fakes'>): https.Agent | undefined {
  return azure.fakes ? fakesAgent : undefined;
}

/** Options for an `@azure/arm-*` client: ARM's endpoint from the configuration, its scope, and the fakes' TLS agent. */
export function armClientOptions(azure: Pick<AzureResourcesConfig, 'fakes' | 'armEndpoint'>): {
  endpoint: string;
  credentialScopes: string[];
  agent?: https.Agent;
} {
  const endpoint = azure.armEndpoint.replace(/\/+$/, '');
  // Real ARM tokens are for https://management.azure.com/ whatever the regional endpoint; the fakes take any scope.
  return { endpoint, credentialScopes: ['https://management.azure.com/.default'], agent: azureTlsAgent(azure) };
}
