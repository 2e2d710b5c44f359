/** What a `/score` request asks about, once its body is parsed: before any model-specific checks. */
export type ScoreInput =
  | { kind: 'data'; rows: (number | string)[][] }
  | { kind: 'images'; images: { bytes: Buffer; source: string }[] }
  | { kind: 'rows'; rows: Record<string, unknown>[] };

/** A request the model cannot take; always a 400 with this code. */
export class ScoreInputError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
