/** Where the Durable HTTP API lives on the host, and the placeholders the SDK fills in. */
export const webhookPrefix = '/runtime/webhooks/durabletask/';
export const instanceIdPlaceholder = 'INSTANCEID';

export interface WebhookSite {
  baseUrl: string;
  hubName: string;
  connectionName: string;
  systemKey: string;
  /** The secret endpoint of the host's own worker (see DurableRpcEndpoint). */
  rpcBaseUrl: string;
}

/** `createCheckStatusResponse`'s payload: the extension's HttpManagementPayload. */
export function managementUrls(site: WebhookSite, instanceId: string): Record<string, string> {
  const id = encodeURIComponent(instanceId);
  const instance = `${site.baseUrl}${webhookPrefix}instances/${id}`;
  const common = `taskHub=${encodeURIComponent(site.hubName)}&connection=${encodeURIComponent(site.connectionName)}&code=${encodeURIComponent(site.systemKey)}`;
  return {
    id: instanceId,
    statusQueryGetUri: `${instance}?${common}`,
    sendEventPostUri: `${instance}/raiseEvent/{eventName}?${common}`,
    terminatePostUri: `${instance}/terminate?reason={text}&${common}`,
    rewindPostUri: `${instance}/rewind?reason={text}&${common}`,
    purgeHistoryDeleteUri: `${instance}?${common}`,
    restartPostUri: `${instance}/restart?${common}`,
    suspendPostUri: `${instance}/suspend?reason={text}&${common}`,
    resumePostUri: `${instance}/resume?reason={text}&${common}`,
  };
}

/** The `durableClient` input binding's value (OrchestrationClientInputData) that `df.getClient` reads. */
export function durableClientData(site: WebhookSite): Record<string, unknown> {
  const common = `taskHub=${encodeURIComponent(site.hubName)}&connection=${encodeURIComponent(site.connectionName)}&code=${encodeURIComponent(site.systemKey)}`;
  const management = managementUrls(site, instanceIdPlaceholder);
  management.id = instanceIdPlaceholder;
  return {
    taskHubName: site.hubName,
    creationUrls: {
      createNewInstancePostUri: `${site.baseUrl}${webhookPrefix}orchestrators/{functionName}[/{instanceId}]?code=${encodeURIComponent(site.systemKey)}`,
      waitOnNewInstancePostUri: `${site.baseUrl}${webhookPrefix}orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&code=${encodeURIComponent(site.systemKey)}`,
    },
    managementUrls: management,
    baseUrl: `${site.baseUrl}${webhookPrefix.replace(/\/$/, '')}`,
    requiredQueryStringParameters: common,
    rpcBaseUrl: site.rpcBaseUrl,
  };
}
