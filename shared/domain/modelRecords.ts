import { CandidateMetrics } from './selection';

export type ModelStage = 'staging' | 'production' | 'archived';

export interface ModelLineage {
  pipeline: string;
  instanceId: string;
  candidateId: string;
  classifier: string;
  featurizer: string;
  params: Record<string, number | string | boolean>;
  specVersion: number;
  dataSnapshot: string;
  jobCodeSha256?: string;
}

export interface ModelVersion {
  model: string;
  version: number;
  stage: ModelStage;
  packageUri: string;
  metrics: CandidateMetrics & Record<string, unknown>;
  lineage: ModelLineage;
  createdAt: string;
  promotedAt?: string;
}

export type DeploymentState = 'creating' | 'healthy' | 'failed' | 'deleted';

export interface DeploymentRecord {
  model: string;
  name: string;
  version: number;
  target: string;
  endpoint?: string;
  state: DeploymentState;
  /** Share of scoring traffic, 0–100; the active deployments of a model add up to 100. */
  trafficPercent: number;
  createdAt: string;
  updatedAt: string;
}
