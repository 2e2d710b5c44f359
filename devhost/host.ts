import fs from 'node:fs';
import { installCoreModule, CoreApi } from './coreApi';
import { parseFunctionTimeoutMs, readHostJson, resolveEntryFiles, HostJson } from './appFiles';
import { BlobTriggerListener } from './blob/blobTriggerListener';
import { ExtensionContext, HostExtension } from './extensions';
import { FunctionIndexingError, indexingErrors } from './functionIndexing';
import { DevhostHttpServer, SystemRouteHandler } from './http/httpServer';
import { RouteTable } from './http/routeTable';
import { HostSettings } from './hostSettings';
import { Invoker } from './invoker';
import { HostKeys, loadOrCreateKeys } from './keys';
import { HostLogger } from './logger';
import { TimerListener } from './timer/timerListener';

const builtInTriggers = ['httptrigger', 'blobtrigger', 'timertrigger'];

export interface RunningHost {
  readonly port: number;
  readonly baseUrl: string;
  readonly keys: HostKeys;
  readonly functions: { name: string; trigger: string; route?: string; authLevel?: string }[];
  stop(): Promise<void>;
}

function triggerType(bindings: Record<string, { type?: string | null }>): string {
  return Object.values(bindings).find((b) => b.type?.toLowerCase().endsWith('trigger'))?.type ?? 'unknown';
}

/**
 * Loads the compiled app through `@azure/functions-core` exactly as the Node worker does
 * (entry files from package.json `main`, then app-start hooks) and serves its triggers.
 */
export async function startHost(
  settings: HostSettings,
  extensions: HostExtension[] = [],
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningHost> {
  const hostJson: HostJson = readHostJson(settings.appDir);
  const logger = new HostLogger(hostJson.logging?.logLevel);
  const core = new CoreApi((level, category, message) =>
    logger.log({ level, category: category === 'user' ? 'Function.User' : 'Host.Worker', message }),
  );
  installCoreModule(core);

  for (const file of resolveEntryFiles(settings.appDir)) {
    try {
      // The worker loads entry files with require (CommonJS apps); so must the devhost.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(file);
    } catch (err) {
      throw new Error(`Loading ${file} failed: ${(err as Error).stack ?? String(err)}`);
    }
  }
  core.closeRegistration();
  await core.programmingModel?.getCapabilities?.({});

  const functions = [...core.functions.values()];
  const handled = new Set([...builtInTriggers, ...extensions.flatMap((e) => e.triggerTypes.map((t) => t.toLowerCase()))]);
  for (const fn of functions) {
    const type = triggerType(fn.metadata.bindings).toLowerCase();
    if (!handled.has(type))
      logger.host('warning', `Function ${fn.metadata.name}: trigger type "${type}" is not supported by the devhost; it will not run.`);
  }

  fs.mkdirSync(settings.stateDir, { recursive: true });
  const keys = loadOrCreateKeys(settings.stateDir);
  logger.hideSecrets(keys.masterKey, ...Object.values(keys.functionKeys));
  const invoker = new Invoker(core, logger, parseFunctionTimeoutMs(hostJson.functionTimeout));
  const routes = new RouteTable();
  functions.forEach((fn) => routes.add(fn));
  const systemRoutes = new Map<string, SystemRouteHandler>();
  let baseUrl = '';

  const context: ExtensionContext = {
    functions,
    invoker,
    logger,
    hostJson,
    settings,
    keys,
    env,
    baseUrl: () => baseUrl,
    addSystemRoute: (prefix, handler) => systemRoutes.set(prefix, handler),
    addInputBinding: (type, provider) => invoker.inputBindings.set(type.toLowerCase(), provider),
  };
  for (const extension of extensions) await extension.init(context);
  const indexing = indexingErrors(functions, new Set(invoker.inputBindings.keys()), env);
  if (indexing.length > 0) throw new FunctionIndexingError(indexing.join('\n'));

  for (const hook of core.hooksFor('appStart'))
    await hook({ hookData: {}, appHookData: core.appHookData, functionAppDirectory: settings.appDir });

  const server = new DevhostHttpServer({
    host: settings.host,
    port: settings.port,
    routePrefix: hostJson.extensions?.http?.routePrefix ?? 'api',
    maxBodyBytes: settings.maxBodyBytes,
    routes,
    invoker,
    keys,
    logger,
    systemRoutes,
    status: () => ({ state: 'Running', id: settings.hostId, functions: functions.length }),
  });
  const port = await server.listen();
  baseUrl = `http://${settings.host}:${port}`;

  const blobs = new BlobTriggerListener(functions, invoker, logger, {
    hostId: settings.hostId,
    appName: settings.appName,
    pollIntervalMs: settings.blobPollMs,
    env,
  });
  const timers = new TimerListener(functions, invoker, logger, { hostId: settings.hostId, appName: settings.appName, env });
  await blobs.start();
  await timers.start();
  for (const extension of extensions) await extension.start();

  const prefix = hostJson.extensions?.http?.routePrefix ?? 'api';
  return {
    port,
    baseUrl,
    keys,
    functions: functions.map((fn) => {
      const http = routes.routes.find((r) => r.fn === fn);
      return {
        name: fn.metadata.name,
        trigger: triggerType(fn.metadata.bindings),
        route: http ? `${[...http.methods].join(',')} ${baseUrl}/${prefix ? prefix + '/' : ''}${http.route.template}` : undefined,
        authLevel: http?.authLevel,
      };
    }),
    async stop() {
      await server.close();
      await blobs.stop();
      await timers.stop();
      for (const extension of extensions) await extension.stop();
      for (const hook of core.hooksFor('appTerminate')) await hook({ hookData: {}, appHookData: core.appHookData });
    },
  };
}
