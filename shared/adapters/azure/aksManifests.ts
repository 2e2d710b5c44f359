import { createHash } from 'node:crypto';
import { V1Deployment, V1PodTemplateSpec, V1Service } from '@kubernetes/client-node';
import { AzureResourcesConfig } from '../../config';
import { DeploymentRequest } from '../../ports/deployer';
import { scorerContainerSpec, scorerPort } from './scorerContainer';

/** The label that ties a Deployment's pods and its Service together. */
export const deploymentLabel = 'canopy.io/deployment';
/** The pod template a rolling update replaced, kept for a rollback. */
export const previousTemplateAnnotation = 'canopy.io/previous-template';
/** A hash of what the template runs: an update with the same hash changes nothing. */
export const templateHashAnnotation = 'canopy.io/template-hash';

/**
 * The scorer's pod template: the image, its settings, CPU and memory from the spec, a readiness probe on `/health`
 * (a pod gets traffic only once its model is loaded) and a liveness probe that leaves time to load. Pods run as the
 * `canopy-scorer` service account, federated with the workload identity, which reads the package.
 */
export function scorerPodTemplate(azure: AzureResourcesConfig, request: DeploymentRequest): V1PodTemplateSpec {
  const { image, env } = scorerContainerSpec(azure, request);
  const resources = { cpu: String(request.cpu), memory: `${Math.round(request.memoryGb * 1024)}Mi` };
  return {
    metadata: {
      labels: {
        [deploymentLabel]: request.name,
        'canopy.io/model': request.model.slice(0, 63),
        'canopy.io/version': String(request.version),
        'azure.workload.identity/use': 'true',
      },
    },
    spec: {
      serviceAccountName: 'canopy-scorer',
      containers: [
        {
          name: 'scorer',
          image,
          env: Object.entries(env).map(([name, value]) => ({ name, value })),
          ports: [{ containerPort: scorerPort, protocol: 'TCP' }],
          resources: { requests: resources, limits: resources },
          readinessProbe: { httpGet: { path: '/health', port: scorerPort }, periodSeconds: 5, failureThreshold: 3 },
          livenessProbe: {
            httpGet: { path: '/health', port: scorerPort },
            initialDelaySeconds: 60,
            periodSeconds: 15,
            failureThreshold: 4,
          },
        },
      ],
    },
  };
}

export function templateHash(template: V1PodTemplateSpec): string {
  return createHash('sha256').update(JSON.stringify(template)).digest('hex').slice(0, 16);
}

/** One replica, updated by surging a new pod before the old one stops, so a version keeps serving during an update. */
export function scorerDeployment(request: DeploymentRequest, namespace: string, template: V1PodTemplateSpec): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: request.name,
      namespace,
      labels: { [deploymentLabel]: request.name },
      // Canopy's tags are annotations here: their values (an ISO expiry) are not valid label values.
      annotations: { ...request.tags, 'canopy-kind': 'deployment', [templateHashAnnotation]: templateHash(template) },
    },
    spec: {
      replicas: 1,
      selector: { matchLabels: { [deploymentLabel]: request.name } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      progressDeadlineSeconds: 600,
      template,
    },
  };
}

/** A public LoadBalancer in front of the Deployment's ready pods, on port 80. */
export function scorerService(name: string, namespace: string): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: { [deploymentLabel]: name } },
    spec: { type: 'LoadBalancer', selector: { [deploymentLabel]: name }, ports: [{ port: 80, targetPort: scorerPort, protocol: 'TCP' }] },
  };
}
