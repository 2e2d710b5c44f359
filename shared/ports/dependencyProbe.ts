/** Something the app depends on that can be asked whether it answers. */
export interface DependencyProbe {
  readonly name: string;
  /** Resolves when the dependency answered; rejects (or is aborted) otherwise. */
  check(signal: AbortSignal): Promise<void>;
}
