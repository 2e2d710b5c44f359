/** The shapes the dashboard reads from Canopy's API (docs/dashboard-api.md); only the fields it shows. */
export interface ConfusionMatrix {
  labels: string[];
  matrix: number[][];
}

export interface RocCurve {
  fpr: number[];
  tpr: number[];
}

export interface CandidateMetrics {
  accuracy: number;
  classAverageAccuracy: number;
  rocAuc: Record<string, number>;
  perClassAccuracy?: Record<string, number>;
  confusionMatrix?: ConfusionMatrix;
  rocCurves?: Record<string, RocCurve>;
  precision?: Record<string, number>;
  recall?: Record<string, number>;
  durations?: Record<string, number>;
  rows?: Record<string, number>;
  [key: string]: unknown;
}

export interface CandidateRun {
  pipeline: string;
  instanceId: string;
  candidateId: string;
  featurizer: string;
  classifier: string;
  params: Record<string, number | string | boolean>;
  status: string;
  metrics?: CandidateMetrics;
  artifacts?: { output: string; metrics?: string; model?: string };
  startedAt?: string;
  endedAt?: string;
  durationSeconds?: number;
  costUsd?: number;
  error?: { code: string; message: string };
}

export interface PipelineRun {
  pipeline: string;
  instanceId: string;
  specVersion: number;
  dataVersion: string;
  trigger: string;
  status: string;
  stage: string;
  startedAt: string;
  endedAt?: string;
  stageSeconds: Record<string, number>;
  candidates: { total: number; succeeded: number; failed: number };
  best?: { candidateId: string; classifier: string; featurizer: string; metric: string; value: number };
  decision?: { promoted: boolean; reason: string; modelVersion?: number };
  deployment?: { name: string; endpoint: string };
  costUsd: number;
  nodeMinutes?: number;
  tornDown?: boolean;
  error?: { code: string; message: string };
}

export interface LiveStatus {
  stage?: string;
  candidates?: { total?: number; done?: number; failed?: number; running?: number };
  copy?: { copied?: number; skipped?: number; failed?: number };
  elapsedSeconds?: number;
  costUsd?: number;
}

export interface RunRow extends PipelineRun {
  durationSeconds?: number;
}

export interface TimelineCandidate {
  candidateId: string;
  featurizer: string;
  classifier: string;
  params: Record<string, number | string | boolean>;
  status: string;
  startedAt?: string;
  endedAt?: string;
  durationSeconds?: number;
  startOffsetSeconds?: number;
  costUsd?: number;
  accuracy?: number;
  classAverageAccuracy?: number;
  macroRocAuc?: number;
  error?: { code: string; message: string };
}

export interface RunView {
  run: PipelineRun | null;
  live: boolean;
  orchestration?: { runtimeStatus: string; customStatus?: LiveStatus; lastUpdatedTime?: string };
  timeline: { stage: string; seconds: number; startOffsetSeconds: number }[];
  candidates: TimelineCandidate[];
  copy: { copied: number; skipped: number; failed: number } | null;
  decision: { promoted: boolean; reason: string; modelVersion?: number } | null;
  costUsd: number;
  failure: { error: { code: string; message: string }; logTail: string | null } | null;
}

export interface MetricsJson {
  accuracy: number;
  classAverageAccuracy: number;
  perClassAccuracy?: Record<string, number>;
  labels?: string[];
  confusionMatrix?: number[][] | { labels: string[]; matrix: number[][] };
  rocAuc?: Record<string, number>;
  macroRocAuc?: number;
  rocCurves?: Record<string, { fpr: number[]; tpr: number[] }>;
  precisionRecall?: Record<string, { precision: number; recall: number; f1: number; support: number }>;
  rows?: Record<string, number>;
  seconds?: Record<string, number>;
  durationsSeconds?: Record<string, number>;
  timings?: Record<string, number>;
  params?: Record<string, unknown>;
}

export interface PipelineSummary {
  name: string;
  version: number;
  scenario: string;
  metric: string;
  schedule: string | null;
  lastRun: RunRow | null;
  production: { model: string; version: number; accuracy?: number; classAverageAccuracy?: number; promotedAt?: string } | null;
}

export interface LeaderboardRow {
  instanceId: string;
  candidateId: string;
  classifier: string;
  featurizer: string;
  params: Record<string, number | string | boolean>;
  value: number;
  accuracy: number;
  classAverageAccuracy: number;
  durationSeconds?: number;
  endedAt?: string;
}

export interface ModelVersion {
  model: string;
  version: number;
  stage: string;
  packageUri: string;
  metrics: CandidateMetrics;
  lineage: {
    pipeline: string;
    instanceId: string;
    candidateId: string;
    classifier: string;
    featurizer: string;
    specVersion: number;
    dataSnapshot: string;
    jobCodeSha256?: string;
  };
  createdAt: string;
  promotedAt?: string;
}

export interface DeploymentMetricsSummary {
  deployment: string;
  version: number;
  requests: number;
  errors: number;
  errorRate: number;
  p50LatencyMs: number;
  p99LatencyMs: number;
}

export interface Deployment {
  model: string;
  name: string;
  version: number;
  target: string;
  endpoint?: string;
  state: string;
  trafficPercent: number;
  createdAt: string;
  updatedAt: string;
  metrics?: DeploymentMetricsSummary;
}

export interface SeriesPoint {
  minute: string;
  requests: number;
  errors: number;
  p50LatencyMs: number;
  p99LatencyMs: number;
}

export interface BatchProgress {
  phase: string;
  pages: { total: number; done: number; resumed: number };
  images: { scored: number; failed: number };
  elapsedSeconds: number;
}

export interface BatchRunRow {
  instanceId: string;
  model: string;
  version: number;
  via: string;
  runtimeStatus: string;
  progress?: BatchProgress;
  createdTime: string;
  lastUpdatedTime?: string;
}

export interface BatchRun extends BatchRunRow {
  source?: { container: string; prefix: string };
  output?: { url?: string };
  summary?: { status: string; total: number; scored: number; failed: number; perClass: Record<string, number>; labels: string[] };
  distribution?: Record<string, number>;
}

export interface GalleryItem {
  blob: string;
  predicted: string;
  probability: number;
  trueLabel: string | null;
  correct: boolean | null;
  error: string | null;
  imageUrl: string;
}

export interface ResourceItem {
  id: string;
  kind: string;
  name: string;
  target?: string;
  pipeline?: string;
  instanceId?: string;
  createdAt?: string;
  ageSeconds?: number;
  expiresAt?: string;
  expiresInSeconds?: number;
  costUsdSoFar: number | null;
}

export interface CostRow {
  pipeline: string;
  instanceId: string;
  startedAt: string;
  status: string;
  costUsd: number;
  nodeMinutes?: number;
}
