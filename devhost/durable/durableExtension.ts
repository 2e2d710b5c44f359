import os from 'node:os';
import { BlobServiceClient } from '@azure/storage-blob';
import { ExtensionContext, HostExtension } from '../extensions';
import { connectionString, storageClients } from '../storage';
import { DurableFunctionIndex } from './durableFunctionIndex';
import { DurableRuntime } from './durableRuntime';
import { HubLease } from './hubLease';
import { ManagementApi } from './managementApi';
import { TaskHubStore } from './taskHubStore';
import { DurableRpcEndpoint } from './rpcEndpoint';
import { durableClientData, webhookPrefix, WebhookSite } from './webhookUrls';

export class DurableConfigError extends Error {
  readonly code = 'DEVHOST.DURABLE_CONFIG';
}

interface DurableTaskSettings {
  hubName?: string;
  maxConcurrentActivityFunctions?: number;
  maxConcurrentOrchestratorFunctions?: number;
  storageProvider?: { type?: string; connectionStringName?: string; connectionName?: string };
}

/** The storage provider host.json asks for: the devhost runs the Azure Storage provider's task hub only. */
function checkStorageProvider(settings: DurableTaskSettings): void {
  const type = settings.storageProvider?.type;
  if (type === undefined || type.toLowerCase() === 'azurestorage') return;
  throw new DurableConfigError(
    `host.json extensions.durableTask.storageProvider.type is '${type}': the devhost implements only the Azure Storage provider ` +
      `(type 'AzureStorage', or no type). Remove the setting to run this app on the devhost.`,
  );
}

/** host.json values may name an app setting as `%NAME%`, as the Functions host resolves them. */
function resolveSetting(value: string, env: NodeJS.ProcessEnv): string {
  return value.replace(/%([^%]+)%/g, (_, name: string) => {
    const resolved = env[name];
    if (resolved === undefined) throw new DurableConfigError(`host.json refers to the app setting %${name}%, which is not set.`);
    return resolved;
  });
}

function positive(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0)
    throw new DurableConfigError(`host.json extensions.durableTask.${name} must be a positive integer (found ${JSON.stringify(value)}).`);
  return value;
}

/** The Durable Functions extension of the devhost: triggers, the durableClient binding and the HTTP API. */
export class DurableExtension implements HostExtension {
  readonly name = 'DurableTask';
  readonly triggerTypes = ['orchestrationTrigger', 'activityTrigger', 'entityTrigger'] as const;
  #runtime: DurableRuntime | undefined;
  #context: ExtensionContext | undefined;
  #lease: HubLease | undefined;
  #rpc: DurableRpcEndpoint | undefined;

  async init(context: ExtensionContext): Promise<void> {
    const durableTypes = new Set(['orchestrationtrigger', 'activitytrigger', 'entitytrigger', 'durableclient', 'orchestrationclient']);
    const usesDurable = context.functions.some((fn) =>
      Object.values(fn.metadata.bindings).some((b) => durableTypes.has(b.type?.toLowerCase() ?? '')),
    );
    // An app without Durable functions gets no task hub (and needs no storage for one).
    if (!usesDurable) return;
    this.#context = context;
    const settings = (context.hostJson.extensions?.durableTask ?? {}) as DurableTaskSettings;
    checkStorageProvider(settings);
    // The Functions host's default: Core Tools and the Azure Storage provider call an unnamed hub this.
    const hubName = resolveSetting(settings.hubName ?? 'TestHubName', context.env);
    if (!/^[A-Za-z][A-Za-z0-9]{2,44}$/.test(hubName))
      throw new DurableConfigError(`The task hub name '${hubName}' must be 3-45 letters and digits, starting with a letter.`);
    const connectionName =
      settings.storageProvider?.connectionStringName ?? settings.storageProvider?.connectionName ?? 'AzureWebJobsStorage';
    const connection = connectionString(connectionName, context.env);
    // The extension's defaults: 10 per core.
    const perCore = 10 * os.availableParallelism();
    let blobs: BlobServiceClient;
    let store: TaskHubStore;
    try {
      blobs = storageClients(connection).blobs;
      store = new TaskHubStore(connection, hubName, blobs);
    } catch {
      // The SDK's own message ("Invalid URL") names neither the setting nor the cause.
      throw new DurableConfigError(
        `The Durable task hub's connection '${connectionName}' is not an Azure Storage connection string; ` +
          `the devhost runs the Azure Storage provider only.`,
      );
    }
    await store.init();
    this.#lease = new HubLease(blobs, hubName, context.logger);
    this.#runtime = new DurableRuntime(store, new DurableFunctionIndex(context.functions), context.invoker, context.logger, {
      maxConcurrentActivityFunctions: positive(settings.maxConcurrentActivityFunctions, 'maxConcurrentActivityFunctions', perCore),
      maxConcurrentOrchestratorFunctions: positive(
        settings.maxConcurrentOrchestratorFunctions,
        'maxConcurrentOrchestratorFunctions',
        perCore,
      ),
    });
    let rpcBaseUrl = '';
    const site = (): WebhookSite => ({
      baseUrl: context.baseUrl(),
      hubName,
      connectionName: 'Storage',
      systemKey: context.keys.masterKey,
      rpcBaseUrl,
    });
    const api = new ManagementApi(this.#runtime, site, context.keys);
    this.#rpc = new DurableRpcEndpoint(
      (req, res, url, body, rest) => api.handleRpc(req, res, url, body, rest),
      context.settings.maxBodyBytes,
      context.logger,
    );
    rpcBaseUrl = await this.#rpc.listen();
    context.logger.host('information', `Durable client endpoint for the worker on 127.0.0.1:${new URL(rpcBaseUrl).port} (secret path).`);
    context.addSystemRoute(webhookPrefix, (req, res, url, body) => api.handleWebhook(req, res, url, body));
    context.addInputBinding('durableClient', () => ({ string: JSON.stringify(durableClientData(site())) }));
    context.addInputBinding('orchestrationClient', () => ({ string: JSON.stringify(durableClientData(site())) }));
  }

  async start(): Promise<void> {
    const context = this.#context;
    const runtime = this.#runtime;
    if (!context || !runtime) return;
    // `df.getClient` rewrites webhook origins to localhost:7071 unless the host names itself here.
    context.env.WEBSITE_HOSTNAME ??= new URL(context.baseUrl()).host;
    await this.#lease?.acquire(context.settings.hostId, () => runtime.stop());
    const resumed = await runtime.recoverAll();
    context.logger.host('information', `Durable task hub '${runtime.store.hubName}' ready; resumed ${resumed} instance(s) with open work.`);
  }

  async stop(): Promise<void> {
    this.#runtime?.stop();
    await this.#rpc?.close();
    await this.#lease?.release();
  }
}
