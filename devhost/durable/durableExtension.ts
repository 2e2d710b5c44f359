import os from 'node:os';
import { ExtensionContext, HostExtension } from '../extensions';
import { connectionString, storageClients } from '../storage';
import { DurableFunctionIndex } from './durableFunctionIndex';
import { DurableRuntime } from './durableRuntime';
import { HubLease } from './hubLease';
import { ManagementApi } from './managementApi';
import { TaskHubStore } from './taskHubStore';
import { durableClientData, rpcPrefix, webhookPrefix, WebhookSite } from './webhookUrls';

export class DurableConfigError extends Error {
  readonly code = 'DEVHOST.DURABLE_CONFIG';
}

interface DurableTaskSettings {
  hubName?: string;
  maxConcurrentActivityFunctions?: number;
  maxConcurrentOrchestratorFunctions?: number;
  storageProvider?: { connectionStringName?: string; connectionName?: string };
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

  async init(context: ExtensionContext): Promise<void> {
    const durableTypes = new Set(['orchestrationtrigger', 'activitytrigger', 'entitytrigger', 'durableclient', 'orchestrationclient']);
    const usesDurable = context.functions.some((fn) =>
      Object.values(fn.metadata.bindings).some((b) => durableTypes.has(b.type?.toLowerCase() ?? '')),
    );
    // An app without Durable functions gets no task hub (and needs no storage for one).
    if (!usesDurable) return;
    this.#context = context;
    const settings = (context.hostJson.extensions?.durableTask ?? {}) as DurableTaskSettings;
    // The Functions host's default: Core Tools and the Azure Storage provider call an unnamed hub this.
    const hubName = resolveSetting(settings.hubName ?? 'TestHubName', context.env);
    if (!/^[A-Za-z][A-Za-z0-9]{2,44}$/.test(hubName))
      throw new DurableConfigError(`The task hub name '${hubName}' must be 3-45 letters and digits, starting with a letter.`);
    const connectionName =
      settings.storageProvider?.connectionStringName ?? settings.storageProvider?.connectionName ?? 'AzureWebJobsStorage';
    const connection = connectionString(connectionName, context.env);
    // The extension's defaults: 10 per core.
    const perCore = 10 * os.availableParallelism();
    const blobs = storageClients(connection).blobs;
    const store = new TaskHubStore(connection, hubName, blobs);
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
    const site = (): WebhookSite => ({ baseUrl: context.baseUrl(), hubName, connectionName: 'Storage', systemKey: context.keys.masterKey });
    const api = new ManagementApi(this.#runtime, site, context.keys);
    const handler = (...args: Parameters<ManagementApi['handle']>): Promise<void> => api.handle(...args);
    context.addSystemRoute(webhookPrefix, handler);
    context.addSystemRoute(rpcPrefix, handler);
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
    await this.#lease?.release();
  }
}
