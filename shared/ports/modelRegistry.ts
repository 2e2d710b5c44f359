import { CandidateMetrics } from '../domain/selection';

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

/** Model versions with lineage and stage, and the deployments serving them. */
export interface ModelRegistry {
  /** Idempotent per (model, instanceId): a retried registration returns the version it made. */
  createVersion(model: string, data: Omit<ModelVersion, 'model' | 'version' | 'stage' | 'createdAt'>, now: Date): Promise<ModelVersion>;
  getVersion(model: string, version: number): Promise<ModelVersion | undefined>;
  listVersions(model: string): Promise<ModelVersion[]>;
  listModels(): Promise<string[]>;
  getProduction(model: string): Promise<ModelVersion | undefined>;
  /** Makes `version` production and archives the previous production version. */
  promote(model: string, version: number, now: Date): Promise<{ previous?: number }>;
  upsertDeployment(record: DeploymentRecord): Promise<void>;
  getDeployment(model: string, name: string): Promise<DeploymentRecord | undefined>;
  listDeployments(model: string): Promise<DeploymentRecord[]>;
}
