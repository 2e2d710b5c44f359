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

/** A scorer the target actually runs, whatever any ledger or registry says of it. */
export interface DeployedServer {
  name: string;
  /** The tags it was begun with (`canopy-instance` names the run that made it); empty where it carries none. */
  tags: Record<string, string>;
}

/** Runs the scoring server for a model version: ACI or AKS in Azure, a local process locally. */
export interface Deployer {
  readonly kind: string;
  /** Idempotent: beginning a deployment whose name exists adopts it (the same server, endpoint and state). */
  beginDeploy(request: DeploymentRequest): Promise<void>;
  getDeployment(name: string): Promise<DeploymentStatus | undefined>;
  delete(name: string): Promise<void>;
  /**
   * Every deployment the target runs for Canopy, found on the target itself; absent where the resource inventory
   * already lists them (ACI container groups are ARM resources).
   */
  listDeployments?(): Promise<DeployedServer[]>;
}
