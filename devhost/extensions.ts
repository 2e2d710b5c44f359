import { RegisteredFunction } from './coreApi';
import { RpcBindingInfo, RpcTypedData } from './coreTypes';
import { HostJson } from './appFiles';
import { SystemRouteHandler } from './http/httpServer';
import { Invoker } from './invoker';
import { HostLogger } from './logger';
import { HostSettings } from './hostSettings';
import { HostKeys } from './keys';

/** Supplies the value of a non-trigger input binding (e.g. `durableClient`) for one invocation. */
export type InputBindingProvider = (bindingName: string, binding: RpcBindingInfo, fn: RegisteredFunction) => RpcTypedData;

export interface ExtensionContext {
  functions: RegisteredFunction[];
  invoker: Invoker;
  logger: HostLogger;
  hostJson: HostJson;
  settings: HostSettings;
  keys: HostKeys;
  env: NodeJS.ProcessEnv;
  /** `http://127.0.0.1:7071` once the HTTP server listens. */
  baseUrl: () => string;
  addSystemRoute(prefix: string, handler: SystemRouteHandler): void;
  addInputBinding(type: string, provider: InputBindingProvider): void;
}

/** A binding extension of the host (the Durable engine is one): it owns its triggers and endpoints. */
export interface HostExtension {
  readonly name: string;
  /** Binding types whose triggers this extension runs. */
  readonly triggerTypes: readonly string[];
  init(context: ExtensionContext): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
