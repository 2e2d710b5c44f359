import type {
  BatchRun,
  BatchRunRow,
  CandidateRun,
  CostRow,
  Deployment,
  GalleryItem,
  LeaderboardRow,
  MetricsJson,
  ModelVersion,
  PipelineSummary,
  ResourceItem,
  RunRow,
  RunView,
  SeriesPoint,
} from './types';

/**
 * Canopy's browser-facing API (docs/dashboard-api.md). The browser never holds a function key: the routes are
 * gated by the platform's sign-in in Azure and by loopback locally; changes carry the CSRF token the session issued.
 */
const apiBase = '/api/ui/';
let csrfToken: Promise<string> | undefined;

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function parse<T>(res: Response): Promise<T> {
  const text = await res.text();
  const body = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiFailure(res.status, error?.code ?? `HTTP.${res.status}`, error?.message ?? res.statusText);
  }
  return body as T;
}

export async function get<T>(path: string): Promise<T> {
  return parse<T>(await fetch(apiBase + path, { headers: { accept: 'application/json' }, credentials: 'same-origin' }));
}

/** The session's CSRF token (the API sets the matching cookie on the same call). */
function token(): Promise<string> {
  csrfToken ??= get<{ csrfToken: string }>('session').then((s) => s.csrfToken);
  return csrfToken;
}

async function send<T>(method: string, path: string, body?: string): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', 'x-canopy-csrf': await token() };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return parse<T>(await fetch(apiBase + path, { method, headers, credentials: 'same-origin', body }));
}

const enc = encodeURIComponent;
const query = (values: Record<string, string | number | undefined>) =>
  Object.entries(values)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${enc(String(v))}`)
    .join('&');

export interface RunsQuery {
  top: number;
  continuation?: string;
  status?: string;
  trigger?: string;
  sort?: string;
  order?: 'asc' | 'desc';
}

export interface Prediction {
  label: string;
  probabilities?: Record<string, number>;
}

export const api = {
  session: () => get<{ runtime: string; user: { name: string } }>('session'),
  pipelines: () => get<{ pipelines: PipelineSummary[] }>('pipelines'),
  runs: (pipeline: string, q: RunsQuery) =>
    get<{ runs: RunRow[]; continuation?: string }>(`pipelines/${enc(pipeline)}/runs?${query({ ...q })}`),
  run: (pipeline: string, instanceId: string) => get<RunView>(`pipelines/${enc(pipeline)}/runs/${enc(instanceId)}`),
  cancel: (pipeline: string, instanceId: string) => send<unknown>('POST', `pipelines/${enc(pipeline)}/runs/${enc(instanceId)}/cancel`),
  leaderboard: (pipeline: string, metric: string, top = 200) =>
    get<{ metric: string; leaderboard: LeaderboardRow[] }>(`pipelines/${enc(pipeline)}/leaderboard?${query({ metric, top })}`),
  candidate: (pipeline: string, instanceId: string, candidateId: string) =>
    get<{ candidate: CandidateRun; metrics: MetricsJson | null }>(
      `pipelines/${enc(pipeline)}/runs/${enc(instanceId)}/candidates/${enc(candidateId)}`,
    ),
  models: () => get<{ models: { model: string; productionVersion?: number; versions: number }[] }>('models'),
  model: (model: string) => get<{ versions: ModelVersion[]; deployments: Deployment[] }>(`models/${enc(model)}`),
  series: (model: string, minutes: number) =>
    get<{ deployments: { deployment: string; version: number; points: SeriesPoint[] }[] }>(
      `models/${enc(model)}/metrics/series?minutes=${minutes}`,
    ),
  setTraffic: (model: string, deployments: Record<string, number>) =>
    send<unknown>('PUT', `models/${enc(model)}/traffic`, JSON.stringify({ deployments })),
  promote: (model: string, version: number) => send<unknown>('POST', `models/${enc(model)}/versions/${version}/promote`),
  rollback: (model: string) => send<unknown>('POST', `models/${enc(model)}/rollback`),
  score: async (model: string, image: File) => {
    const bytes = new Uint8Array(await image.arrayBuffer());
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return send<unknown>('POST', `models/${enc(model)}/score`, JSON.stringify({ images: [btoa(binary)] }));
  },
  batchRuns: () => get<{ runs: BatchRunRow[] }>('batch-scoring'),
  batchRun: (id: string) => get<BatchRun>(`batch-scoring/${enc(id)}`),
  gallery: (id: string, top: number) =>
    get<{ items: GalleryItem[]; misclassified: number; labelled: number; continuation?: string }>(
      `batch-scoring/${enc(id)}/gallery?top=${top}`,
    ),
  resources: () =>
    get<{ now: string; resources: ResourceItem[]; lastReaperPass: { at: string; deleted: unknown[]; failed: unknown[] } | null }>(
      'resources',
    ),
  cost: (days: number) => get<{ runs: CostRow[] }>(`cost?days=${days}`),
};

/** The scorer answers `{ label, probabilities }` or `{ predictions: [ … ] }`: the first prediction either way. */
export function firstPrediction(answer: unknown): Prediction | undefined {
  const a = answer as { predictions?: Prediction[] } & Partial<Prediction>;
  if (Array.isArray(a.predictions)) return a.predictions[0];
  return typeof a.label === 'string' ? (a as Prediction) : undefined;
}
