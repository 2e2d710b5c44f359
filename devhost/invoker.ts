import { randomUUID } from 'node:crypto';
import { CoreApi, RegisteredFunction } from './coreApi';
import {
  CoreInvocationContext,
  FunctionCallback,
  RpcInvocationRequest,
  RpcInvocationResponse,
  RpcLogCategory,
  RpcLogLevel,
} from './coreTypes';
import type { InputBindingProvider } from './extensions';
import { HostLogger } from './logger';

export type InvocationOutcome =
  | { ok: true; invocationId: string; response: RpcInvocationResponse; durationMs: number }
  | { ok: false; invocationId: string; error: Error; durationMs: number };

export type InvocationRequest = Omit<RpcInvocationRequest, 'invocationId' | 'functionId'>;

export class FunctionTimeoutError extends Error {
  readonly code = 'DEVHOST.FUNCTION_TIMEOUT';
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/**
 * Runs one invocation the way the Node worker's invocation handler does: the programming model
 * builds the arguments, pre-invocation hooks may change them, the model invokes the callback,
 * post-invocation hooks may change the result, and the model converts it to the RPC response.
 */
export class Invoker {
  readonly #core: CoreApi;
  readonly #logger: HostLogger;
  readonly #timeoutMs: number | undefined;
  readonly inputBindings = new Map<string, InputBindingProvider>();

  constructor(core: CoreApi, logger: HostLogger, timeoutMs: number | undefined) {
    this.#core = core;
    this.#logger = logger;
    this.#timeoutMs = timeoutMs;
  }

  async invoke(fn: RegisteredFunction, request: InvocationRequest): Promise<InvocationOutcome> {
    const invocationId = randomUUID();
    const name = fn.metadata.name;
    const started = performance.now();
    this.#logger.log({
      level: 'information',
      category: `Function.${name}`,
      functionName: name,
      invocationId,
      message: `Executing 'Functions.${name}'`,
    });
    try {
      const response = await this.#withTimeout(this.#run(fn, invocationId, request), name);
      const durationMs = performance.now() - started;
      this.#logger.log({
        level: 'information',
        category: `Function.${name}`,
        functionName: name,
        invocationId,
        message: `Executed 'Functions.${name}' (Succeeded, Duration=${Math.round(durationMs)}ms)`,
      });
      return { ok: true, invocationId, response, durationMs };
    } catch (err) {
      const error = asError(err);
      const durationMs = performance.now() - started;
      this.#logger.log({
        level: 'error',
        category: `Function.${name}`,
        functionName: name,
        invocationId,
        message: `Executed 'Functions.${name}' (Failed, Id=${invocationId}, Duration=${Math.round(durationMs)}ms)\n${error.stack ?? error.message}`,
      });
      return { ok: false, invocationId, error, durationMs };
    }
  }

  async #withTimeout<T>(work: Promise<T>, name: string): Promise<T> {
    if (this.#timeoutMs === undefined) return work;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new FunctionTimeoutError(`Timeout value of ${this.#timeoutMs} ms exceeded by function 'Functions.${name}'.`)),
        this.#timeoutMs,
      );
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #run(fn: RegisteredFunction, invocationId: string, request: InvocationRequest): Promise<RpcInvocationResponse> {
    const model = this.#core.programmingModel;
    if (!model) throw new Error('The app set no programming model; does it import "@azure/functions"?');
    const name = fn.metadata.name;
    const coreCtx: CoreInvocationContext = {
      invocationId,
      request: { ...request, invocationId, functionId: fn.metadata.functionId },
      metadata: { name, bindings: fn.metadata.bindings, functionId: fn.metadata.functionId },
      state: undefined,
      log: (level: RpcLogLevel, category: RpcLogCategory, message: string) => this.#log(coreCtx, name, level, category, message),
    };
    coreCtx.request.inputData = [...(request.inputData ?? []), ...this.#extraInputs(fn)];
    const invocationModel = model.getInvocationModel(coreCtx);
    const { context, inputs } = await invocationModel.getArguments();

    const hookData: Record<string, unknown> = {};
    const pre = {
      hookData,
      appHookData: this.#core.appHookData,
      invocationContext: context,
      inputs,
      functionCallback: fn.callback as FunctionCallback,
    };
    coreCtx.state = 'preInvocationHooks';
    for (const hook of this.#core.hooksFor('preInvocation')) await hook(pre);

    coreCtx.state = 'invocation';
    let result: unknown;
    let error: unknown;
    try {
      result = await invocationModel.invokeFunction(context, pre.inputs, pre.functionCallback);
    } catch (err) {
      error = err;
    }

    const post = { hookData, appHookData: this.#core.appHookData, invocationContext: context, inputs: pre.inputs, result, error };
    coreCtx.state = 'postInvocationHooks';
    for (const hook of this.#core.hooksFor('postInvocation')) await hook(post);
    coreCtx.state = undefined;

    if (post.error !== undefined && post.error !== null) throw post.error;
    return invocationModel.getResponse(context, post.result);
  }

  #extraInputs(fn: RegisteredFunction): { name: string; data: ReturnType<InputBindingProvider> }[] {
    const inputs = [];
    for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
      const type = binding.type?.toLowerCase() ?? '';
      if (binding.direction !== 'in' || type.endsWith('trigger')) continue;
      const provider = this.inputBindings.get(type);
      if (!provider)
        throw new Error(`Function ${fn.metadata.name}: input binding "${name}" of type "${binding.type}" is not supported by the devhost.`);
      inputs.push({ name, data: provider(name, binding, fn) });
    }
    return inputs;
  }

  #log(coreCtx: CoreInvocationContext, name: string, level: RpcLogLevel, category: RpcLogCategory, message: string): void {
    const hostCategory = category === 'user' ? `Function.${name}.User` : `Function.${name}`;
    this.#logger.log({ level, category: hostCategory, functionName: name, invocationId: coreCtx.invocationId, message });
    for (const hook of this.#core.hooksFor('log')) {
      void Promise.resolve(hook({ hookData: {}, appHookData: this.#core.appHookData, level, category, message })).catch(() => undefined);
    }
  }
}
