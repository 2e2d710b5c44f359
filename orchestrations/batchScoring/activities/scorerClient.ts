import { PredictionRow } from '../predictionCsv';

export interface ScorerClientOptions {
  /** Endpoints of healthy deployments of the version, preferred first. */
  endpoints: string[];
  labels: string[];
  /** Sent as `x-canopy-page`, so a scorer's log (or a test) can tell the pages apart. */
  page: number;
  attemptsPerEndpoint?: number;
  backoffMs?: number;
  timeoutMs?: number;
}

interface ScoredImage {
  label: string;
  probabilities: Record<string, number>;
}

/** The deployment did not answer usefully (connection refused, 5xx, timeout): try it again, then another one. */
class ScorerUnavailable extends Error {}

/** The scorer refused the request itself (400/413): some image in it cannot be scored. */
class RequestRefused extends Error {}

function errorMessage(text: string): string | undefined {
  try {
    return (JSON.parse(text) as { error?: { message?: string } }).error?.message;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Posts images to a model's deployments: `/score` with `{"images": [base64...]}`. Connection
 * errors, timeouts and 5xx/429 are retried with backoff, then the next deployment takes over; a
 * refused chunk is split until the images that cannot be scored are found, each becoming a failed row.
 */
export class ScorerClient {
  readonly #dead = new Set<string>();
  readonly #attempts: number;
  readonly #backoffMs: number;
  readonly #timeoutMs: number;
  requests = 0;

  constructor(private readonly opts: ScorerClientOptions) {
    this.#attempts = opts.attemptsPerEndpoint ?? 3;
    this.#backoffMs = opts.backoffMs ?? 250;
    this.#timeoutMs = opts.timeoutMs ?? 60_000;
  }

  /** One row per image, in order. */
  async score(names: string[], images: Buffer[]): Promise<PredictionRow[]> {
    try {
      const scored = await this.#post(images);
      return scored.map((s, i) => ({ blob: names[i], label: s.label, probabilities: this.opts.labels.map((l) => s.probabilities[l]) }));
    } catch (err) {
      if (!(err instanceof RequestRefused)) throw err;
      if (images.length === 1) return [{ blob: names[0], error: err.message }];
      const half = Math.ceil(images.length / 2);
      return [
        ...(await this.score(names.slice(0, half), images.slice(0, half))),
        ...(await this.score(names.slice(half), images.slice(half))),
      ];
    }
  }

  async #post(images: Buffer[]): Promise<ScoredImage[]> {
    const body = JSON.stringify({ images: images.map((image) => image.toString('base64')) });
    const problems: string[] = [];
    for (const endpoint of this.opts.endpoints) {
      if (this.#dead.has(endpoint)) continue;
      for (let attempt = 0; attempt < this.#attempts; attempt++) {
        if (attempt > 0) await sleep(this.#backoffMs * 2 ** (attempt - 1));
        try {
          return await this.#once(endpoint, body, images.length);
        } catch (err) {
          if (!(err instanceof ScorerUnavailable)) throw err;
          problems.push(`${endpoint}: ${err.message}`);
        }
      }
      this.#dead.add(endpoint);
    }
    throw new Error(`no deployment could score the page: ${problems.slice(-3).join('; ') || 'none left'}`);
  }

  async #once(endpoint: string, body: string, count: number): Promise<ScoredImage[]> {
    this.requests++;
    let res: Response;
    try {
      res = await fetch(`${endpoint}/score`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-canopy-page': String(this.opts.page) },
        body,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      throw new ScorerUnavailable((err as Error).cause ? String((err as { cause: unknown }).cause) : (err as Error).message);
    }
    const text = await res.text().catch((err: Error) => {
      throw new ScorerUnavailable(err.message);
    });
    if (res.status === 400 || res.status === 413) {
      throw new RequestRefused(errorMessage(text) ?? `the scorer answered ${res.status}`);
    }
    if (!res.ok) throw new ScorerUnavailable(`answered ${res.status}: ${text.slice(0, 200)}`);
    const predictions = (JSON.parse(text) as { predictions?: ScoredImage[] }).predictions;
    if (!Array.isArray(predictions) || predictions.length !== count)
      throw new ScorerUnavailable(`answered ${predictions?.length ?? 'no'} predictions for ${count} images`);
    return predictions;
  }
}
