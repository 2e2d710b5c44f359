import { DeploymentRecord, ModelVersion } from '../domain/modelRecords';

export type { DeploymentRecord, DeploymentState, ModelLineage, ModelStage, ModelVersion } from '../domain/modelRecords';

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
