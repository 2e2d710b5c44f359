/** An orchestration instance's runtime status, as the Durable client spells it. */
export type OrchestrationRuntimeStatus =
  'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Canceled' | 'Terminated' | 'Pending' | 'Suspended';

export interface OrchestrationInstanceStatus {
  instanceId: string;
  runtimeStatus: OrchestrationRuntimeStatus;
}

/** The part of the Durable client that starts and looks up orchestrations; `df.getClient(context)` is one. */
export interface OrchestrationClient {
  getStatusBy(filter: { runtimeStatus?: OrchestrationRuntimeStatus[] }): Promise<OrchestrationInstanceStatus[]>;
  /** Rejects for an instance the task hub does not know, with a message naming the extension's HTTP 404. */
  getStatus(instanceId: string, options?: { showInput?: boolean }): Promise<OrchestrationInstanceStatus>;
  startNew(name: string, options: { instanceId: string; input: unknown }): Promise<string>;
}
