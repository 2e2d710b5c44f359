import { Candidate } from '../../shared/domain/candidateGrid';
import { PipelineSpec } from '../../shared/domain/pipelineSpec';

/** Activity names of the training pipeline; the orchestrator calls them only through these. */
export const activities = {
  recordRunStart: 'pipeline_recordRunStart',
  checkInputData: 'pipeline_checkInputData',
  beginProvision: 'pipeline_beginProvision',
  getClusterState: 'pipeline_getClusterState',
  copyDataPage: 'pipeline_copyDataPage',
  submitEtl: 'pipeline_submitEtl',
  submitCandidate: 'pipeline_submitCandidate',
  getCandidateState: 'pipeline_getCandidateState',
  collectCandidate: 'pipeline_collectCandidate',
  recordCandidateFailure: 'pipeline_recordCandidateFailure',
  selectModel: 'pipeline_selectModel',
  registerModel: 'pipeline_registerModel',
  beginDeploy: 'pipeline_beginDeploy',
  getDeploymentState: 'pipeline_getDeploymentState',
  smokeTestDeployment: 'pipeline_smokeTestDeployment',
  switchTraffic: 'pipeline_switchTraffic',
  deleteDeployment: 'pipeline_deleteDeployment',
  pruneDeployments: 'pipeline_pruneDeployments',
  beginTeardown: 'pipeline_beginTeardown',
  markTornDown: 'pipeline_markTornDown',
  keepClusterUntilExpiry: 'pipeline_keepClusterUntilExpiry',
  recordRunEnd: 'pipeline_recordRunEnd',
} as const;

export const trainingPipelineName = 'trainingPipeline';
export const cancelEventName = 'cancel';

export type Failure = { ok: false; code: string; message: string };
export type Tagged<T> = ({ ok: true } & T) | Failure;

export interface PipelineInput {
  pipeline: string;
  specVersion: number;
  spec: PipelineSpec;
  dataVersion: string;
  trigger: string;
  /** How often the orchestrator polls long operations (durable timers). */
  pollSeconds: number;
  /** Estimated cost rate of the compute while it exists (USD per hour). */
  computeCostPerHour: number;
  /** Nodes the compute bills for (head + workers; 0 locally): with the time it exists, the run's node-minutes. */
  computeNodes: number;
}

export type Stage = 'validate' | 'provision' | 'copy' | 'train' | 'select' | 'register' | 'deploy' | 'teardown' | 'done';

export interface PipelineStatus {
  stage: Stage;
  candidates: { total: number; done: number; failed: number; running: number };
  startedAt: string;
  elapsedSeconds: number;
  estimatedCostUsd: number;
  nodeMinutes: number;
  copy?: { copied: number; skipped: number; failed: number };
  cancelRequested?: boolean;
}

export interface RunContext {
  pipeline: string;
  instanceId: string;
  spec: PipelineSpec;
}

export interface ProvisionResult {
  cluster: string;
  ledgerId: string;
  owned: boolean;
  /** The create was refused; the ledger entry exists, so teardown still runs. */
  error?: { code: string; message: string };
}

export interface CopyPageResult {
  copied: number;
  skipped: number;
  failed: number;
  failures: string[];
  next?: string;
}

export interface CandidateJob {
  candidate: Candidate;
  batchId: string;
  submittedAt: string;
}

export interface CandidateOutcome {
  candidateId: string;
  ok: boolean;
  code?: string;
}

export interface SelectionResult {
  best: { candidateId: string; classifier: string; featurizer: string; metric: string; value: number };
  promote: boolean;
  reason: string;
}

export interface RegisteredModel {
  model: string;
  version: number;
  packageUri: string;
}

export interface DeploymentHandle {
  name: string;
}

export interface PipelineSummary {
  pipelineStatus: 'succeeded' | 'failed' | 'cancelled';
  candidates: { total: number; succeeded: number; failed: number };
  best?: SelectionResult['best'];
  decision?: { promoted: boolean; reason: string; modelVersion?: number };
  deployed?: { name: string; endpoint: string; scoredLabel: string };
  tornDown: boolean;
  stageSeconds: Record<string, number>;
  error?: { code: string; message: string };
}
