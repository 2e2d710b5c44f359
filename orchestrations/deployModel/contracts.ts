import { DeploymentTargetKind } from '../../shared/domain/pipelineSpec';
import { activity, subOrchestration } from '../durable/contract';
import { RunRef } from '../../shared/domain/pipelineRun';

/** A model version as the registry registered it: what a deployment serves. */
export interface RegisteredModel {
  model: string;
  version: number;
  packageUri: string;
}

export interface DeployInput {
  run: RunRef;
  model: RegisteredModel;
  target: DeploymentTargetKind;
  healthTimeoutMinutes: number;
  pollSeconds: number;
}

export interface Deployed {
  name: string;
  endpoint: string;
  scoredLabel: string;
}

export const deployModelOrchestration = subOrchestration<DeployInput, Deployed>('deployModel');

export interface DeploymentRef {
  run: RunRef;
  model: RegisteredModel;
  name: string;
}

export const deployActivities = {
  beginDeploy: activity<{ run: RunRef; model: RegisteredModel }, { name: string }>('deploy_begin'),
  getDeploymentState: activity<{ target: DeploymentTargetKind; name: string }, { state: string; endpoint?: string; error?: string }>(
    'deploy_getState',
  ),
  smokeTest: activity<{ run: RunRef; endpoint: string }, { label: string; expected?: string }>('deploy_smokeTest'),
  switchTraffic: activity<DeploymentRef & { endpoint: string }, { previous?: number; canary: boolean }>('deploy_switchTraffic'),
  pruneSuperseded: activity<{ model: RegisteredModel }, { deleted: string[] }>('deploy_pruneSuperseded'),
  deleteDeployment: activity<DeploymentRef, object>('deploy_delete'),
};
