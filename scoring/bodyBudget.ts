import { HttpError } from './httpError';

/**
 * The bytes of request bodies this server holds at once. A body is counted from its declared length (or the largest
 * allowed when it does not declare one) before it is read, so many large requests at once are turned away with a 429
 * instead of together outgrowing the container's memory.
 */
export class BodyBudget {
  #held = 0;

  constructor(readonly limitBytes: number) {}

  /** Reserves `bytes`, or refuses the request; the returned function gives them back. */
  reserve(bytes: number): () => void {
    if (this.#held > 0 && this.#held + bytes > this.limitBytes)
      throw new HttpError(429, 'SCORE.BUSY', 'the server holds as many request bodies as it may; retry shortly', { 'retry-after': '1' });
    this.#held += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#held -= bytes;
    };
  }
}
