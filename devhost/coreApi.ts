import Module from 'node:module';
import {
  FunctionCallback,
  FunctionMetadata,
  HookCallback,
  HookData,
  HookName,
  ProgrammingModel,
  RpcLogCategory,
  RpcLogLevel,
} from './coreTypes';

export const workerVersion = '3.10.1-canopy-devhost';
export const hostVersion = '4.1036.0';

const hookNames: readonly HookName[] = ['preInvocation', 'postInvocation', 'appStart', 'appTerminate', 'log'];

export class Disposable {
  #callOnDispose: () => unknown;

  constructor(callOnDispose: () => unknown) {
    this.#callOnDispose = callOnDispose;
  }

  static from(...disposables: { dispose: () => unknown }[]): Disposable {
    return new Disposable(() => disposables.forEach((d) => d.dispose()));
  }

  dispose(): unknown {
    return this.#callOnDispose();
  }
}

export interface RegisteredFunction {
  metadata: FunctionMetadata;
  callback: FunctionCallback;
}

type SystemLog = (level: RpcLogLevel, category: RpcLogCategory, message: string) => void;

/**
 * What the Node worker exposes as `@azure/functions-core`: the registry that the programming
 * model library (`@azure/functions`) writes into while the app's entry files load.
 */
export class CoreApi {
  readonly functions = new Map<string, RegisteredFunction>();
  readonly hooks = new Map<HookName, HookCallback[]>(hookNames.map((n) => [n, []]));
  readonly appHookData: HookData = {};
  programmingModel: ProgrammingModel | undefined;
  #registrationOpen = true;
  #systemLog: SystemLog;

  constructor(systemLog: SystemLog) {
    this.#systemLog = systemLog;
  }

  closeRegistration(): void {
    this.#registrationOpen = false;
  }

  hooksFor(name: HookName): HookCallback[] {
    return this.hooks.get(name) ?? [];
  }

  /** The object `require('@azure/functions-core')` returns inside the app. */
  moduleExports(): Record<string, unknown> {
    return {
      version: workerVersion,
      hostVersion,
      Disposable,
      registerFunction: (metadata: FunctionMetadata, callback: FunctionCallback): Disposable => this.#registerFunction(metadata, callback),
      registerHook: (hookName: string, callback: HookCallback): Disposable => this.#registerHook(hookName, callback),
      setProgrammingModel: (model: ProgrammingModel): void => {
        this.programmingModel = model;
      },
      getProgrammingModel: (): ProgrammingModel | undefined => this.programmingModel,
      log: (level: RpcLogLevel, category: RpcLogCategory, message: string): void => this.#systemLog(level, category, message),
    };
  }

  #registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
    if (!this.#registrationOpen) {
      throw new Error('A function can only be registered during app startup.');
    }
    const key = metadata.name.toLowerCase();
    if (this.functions.has(key)) {
      throw new Error(`A function with the name "${metadata.name}" has already been registered.`);
    }
    this.functions.set(key, { metadata: { ...metadata, functionId: metadata.name }, callback });
    return new Disposable(() => {
      if (!this.#registrationOpen) {
        throw new Error('A function can only be disposed during app startup.');
      }
      this.functions.delete(key);
    });
  }

  #registerHook(hookName: string, callback: HookCallback): Disposable {
    const list = this.hooks.get(hookName as HookName);
    if (!list) {
      const error = new RangeError(`"${hookName}" is not a valid hook name.`);
      Object.assign(error, { isAzureFunctionsSystemError: true });
      throw error;
    }
    list.push(callback);
    return new Disposable(() => {
      const index = list.indexOf(callback);
      if (index >= 0) list.splice(index, 1);
    });
  }
}

type RequireFn = (this: NodeJS.Module, id: string) => unknown;

/**
 * Makes `require('@azure/functions-core')` resolve to the given API for every module loaded
 * afterwards, the same interception the Node worker installs at start.
 */
export function installCoreModule(api: CoreApi): () => void {
  const exportsObject = api.moduleExports();
  const proto = Module.prototype as unknown as { require: RequireFn };
  const original = proto.require;
  proto.require = new Proxy(original, {
    apply(target, thisArg: NodeJS.Module, args: [string]) {
      if (args[0] === '@azure/functions-core') return exportsObject;
      return Reflect.apply(target, thisArg, args);
    },
  });
  return () => {
    proto.require = original;
  };
}
