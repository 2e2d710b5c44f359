import { MetricsWindow } from '../domain/deploymentMetrics';

/** Per-deployment scoring metrics, in windows that many function instances add into. */
export interface DeploymentMetricsStore {
  /** Adds each window's counts to the stored window of the same deployment and start; concurrent adds never lose counts. */
  add(windows: MetricsWindow[]): Promise<void>;
  /** The model's windows starting at or after `since`. */
  list(model: string, since: Date): Promise<MetricsWindow[]>;
}
