/** An expected failure, as activities and sub-orchestrations return it. */
export type Failure = { ok: false; code: string; message: string };
export type Tagged<T> = ({ ok: true } & T) | Failure;

/**
 * The name and types of one activity: orchestrators call it through `durableCalls`, the host binds
 * a handler of exactly these types to it, so neither side casts.
 */
export interface ActivityContract<In, Out> {
  readonly kind: 'activity';
  readonly name: string;
  /** Phantom fields: they carry the types, never a value. */
  readonly input?: In;
  readonly output?: Out;
}

export interface SubOrchestrationContract<In, Out> {
  readonly kind: 'orchestration';
  readonly name: string;
  readonly input?: In;
  readonly output?: Out;
}

export const activity = <In, Out>(name: string): ActivityContract<In, Out> => ({ kind: 'activity', name });

export const subOrchestration = <In, Out>(name: string): SubOrchestrationContract<In, Out> => ({ kind: 'orchestration', name });

export type InputOf<C> = C extends ActivityContract<infer In, unknown> ? In : never;
export type OutputOf<C> = C extends ActivityContract<unknown, infer Out> ? Out : never;

export type ActivityContracts = Record<string, ActivityContract<unknown, unknown>>;

/** The handlers of a set of activity contracts, typed by them: each returns its result or an expected failure. */
export type HandlersOf<C extends ActivityContracts> = {
  [K in keyof C]: (input: InputOf<C[K]>) => Promise<Tagged<OutputOf<C[K]>>>;
};

const maxMessage = 2000;

export const failure = (code: string, message: string): Failure => ({ ok: false, code, message: message.slice(0, maxMessage) });
