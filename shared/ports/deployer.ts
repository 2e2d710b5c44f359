export interface DeploymentRequest {
  name: string;
  model: string;
  version: number;
  /** The model package folder in blob storage. */
  packageUri: string;
  cpu: number;
  memoryGb: number;
  /** Canopy's tags (`canopyTags`): which run created it, so the reaper can find it without the ledger. */
  tags?: Record<string, string>;
}

export interface DeploymentStatus {
  state: 'creating' | 'running' | 'failed' | 'deleted';
  endpoint?: string;
  error?: string;
}

/** Runs the scoring server for a model version: ACI or AKS in Azure, a local process locally. */
export interface Deployer {
  readonly kind: string;
  beginDeploy(request: DeploymentRequest): Promise<void>;
  getDeployment(name: string): Promise<DeploymentStatus | undefined>;
  delete(name: string): Promise<void>;
}
