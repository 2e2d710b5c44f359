import { AppsV1Api, CoreV1Api, V1Deployment } from '@kubernetes/client-node';
import { AzureResourcesConfig } from '../../config';
import { DeployedServer, Deployer, DeploymentRequest, DeploymentStatus } from '../../ports/deployer';
import {
  deploymentLabel,
  previousTemplateAnnotation,
  scorerDeployment,
  scorerPodTemplate,
  scorerService,
  templateHash,
  templateHashAnnotation,
} from './aksManifests';
import { kubernetesCall } from './kubernetesErrors';
import { probeHealth } from './scorerHealth';

/** The Kubernetes API clients of the cluster, with a current token; the factory refreshes them as tokens expire. */
export interface KubernetesClients {
  apps: AppsV1Api;
  core: CoreV1Api;
}

export interface AksDeployerOptions {
  namespace: string;
  healthTimeoutMs: number;
  clients(): Promise<KubernetesClients>;
}

const statusOf = (err: unknown): number | undefined => (err as { statusCode?: number }).statusCode;

async function orUndefined<T>(call: Promise<{ body: T }>): Promise<T | undefined> {
  try {
    return (await call).body;
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

async function alreadyExistsIsDone(create: Promise<unknown>): Promise<void> {
  try {
    await create;
  } catch (err) {
    if (statusOf(err) !== 409) throw err;
  }
}

/**
 * Deploys a model version to an existing AKS cluster: a Deployment of the scorer image and a LoadBalancer Service per
 * deployment name. Beginning a deployment that exists with another template is a rolling update (the old pod serves
 * until the new one is ready); an update whose rollout fails is rolled back to the template it replaced, and the
 * failure reported. Nothing is waited on: `getDeployment` reads the rollout and asks the scorer for its health.
 */
export class AksDeployer implements Deployer {
  readonly kind = 'aks';

  constructor(
    private readonly azure: AzureResourcesConfig,
    private readonly options: AksDeployerOptions,
  ) {}

  beginDeploy(request: DeploymentRequest): Promise<void> {
    return kubernetesCall(() => this.#beginDeploy(request));
  }

  getDeployment(name: string): Promise<DeploymentStatus | undefined> {
    return kubernetesCall(() => this.#getDeployment(name));
  }

  /** Puts back the template a rolling update replaced; false when there is none (a first rollout has nothing to go back to). */
  rollback(name: string, current?: V1Deployment): Promise<boolean> {
    return kubernetesCall(() => this.#rollback(name, current));
  }

  delete(name: string): Promise<void> {
    return kubernetesCall(() => this.#delete(name));
  }

  /** The namespace's scorer Deployments, with Canopy's tags from their annotations. */
  listDeployments(): Promise<DeployedServer[]> {
    return kubernetesCall(async () => {
      const { apps } = await this.options.clients();
      const list = await apps.listNamespacedDeployment(this.options.namespace, undefined, undefined, undefined, undefined, deploymentLabel);
      return list.body.items
        .filter((d) => d.metadata?.name && d.metadata.annotations?.['canopy-kind'] === 'deployment')
        .map((d) => ({
          name: d.metadata?.name as string,
          tags: Object.fromEntries(Object.entries(d.metadata?.annotations ?? {}).filter(([key]) => key.startsWith('canopy-'))),
        }));
    });
  }

  async #beginDeploy(request: DeploymentRequest): Promise<void> {
    const { apps, core } = await this.options.clients();
    const namespace = this.options.namespace;
    const template = scorerPodTemplate(this.azure, request);
    const wanted = scorerDeployment(request, namespace, template);
    const existing = await orUndefined(apps.readNamespacedDeployment(request.name, namespace));
    // A begin that raced another (or an activity re-run after a crash) finds the Deployment made and adopts it.
    if (!existing) await alreadyExistsIsDone(apps.createNamespacedDeployment(namespace, wanted));
    else if (existing.metadata?.annotations?.[templateHashAnnotation] !== wanted.metadata?.annotations?.[templateHashAnnotation]) {
      wanted.metadata = {
        ...wanted.metadata,
        resourceVersion: existing.metadata?.resourceVersion,
        annotations: { ...wanted.metadata?.annotations, [previousTemplateAnnotation]: JSON.stringify(existing.spec?.template) },
      };
      await apps.replaceNamespacedDeployment(request.name, namespace, wanted);
    }
    if (!(await orUndefined(core.readNamespacedService(request.name, namespace))))
      await alreadyExistsIsDone(core.createNamespacedService(namespace, scorerService(request.name, namespace)));
  }

  async #getDeployment(name: string): Promise<DeploymentStatus | undefined> {
    const { apps, core } = await this.options.clients();
    const namespace = this.options.namespace;
    const deployment = await orUndefined(apps.readNamespacedDeployment(name, namespace));
    if (!deployment) return undefined;
    if (deployment.metadata?.deletionTimestamp) return { state: 'deleted' };
    const service = await orUndefined(core.readNamespacedService(name, namespace));
    const ingress = service?.status?.loadBalancer?.ingress?.[0];
    const port = service?.spec?.ports?.[0]?.port;
    const endpoint = ingress && port ? `http://${ingress.ip ?? ingress.hostname}:${port}` : undefined;
    const progressing = deployment.status?.conditions?.find((c) => c.type === 'Progressing');
    if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') {
      const logs = await this.#logs(core, name);
      const rolledBack = await this.#rollback(name, deployment);
      return {
        state: 'failed',
        endpoint,
        error: `${(progressing.message ?? 'the rollout did not progress').replace(/\.$/, '')}${rolledBack ? '; rolled back to the previous template' : ''}; last log lines:\n${logs}`,
      };
    }
    const status = deployment.status;
    const rolledOut =
      (status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 1) &&
      (status?.updatedReplicas ?? 0) >= (deployment.spec?.replicas ?? 1) &&
      (status?.availableReplicas ?? 0) >= 1;
    if (!rolledOut || !endpoint) return { state: 'creating', endpoint };
    const health = await probeHealth(endpoint, this.options.healthTimeoutMs);
    return health.state === 'failed' ? { state: 'failed', endpoint, error: health.error } : { state: health.state, endpoint };
  }

  async #rollback(name: string, current?: V1Deployment): Promise<boolean> {
    const { apps } = await this.options.clients();
    const deployment = current ?? (await orUndefined(apps.readNamespacedDeployment(name, this.options.namespace)));
    const previous = deployment?.metadata?.annotations?.[previousTemplateAnnotation];
    if (!deployment?.spec || !previous) return false;
    const annotations = Object.fromEntries(
      Object.entries(deployment.metadata?.annotations ?? {}).filter(([key]) => key !== previousTemplateAnnotation),
    );
    const template = JSON.parse(previous) as NonNullable<V1Deployment['spec']>['template'];
    await apps.replaceNamespacedDeployment(name, this.options.namespace, {
      ...deployment,
      status: undefined,
      metadata: { ...deployment.metadata, annotations: { ...annotations, [templateHashAnnotation]: templateHash(template) } },
      spec: { ...deployment.spec, template },
    });
    return true;
  }

  async #delete(name: string): Promise<void> {
    const { apps, core } = await this.options.clients();
    for (const remove of [
      () => apps.deleteNamespacedDeployment(name, this.options.namespace, undefined, undefined, undefined, undefined, 'Foreground'),
      () => core.deleteNamespacedService(name, this.options.namespace),
    ]) {
      try {
        await remove();
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
      }
    }
  }

  async #logs(core: CoreV1Api, name: string): Promise<string> {
    try {
      const pods = (
        await core.listNamespacedPod(this.options.namespace, undefined, undefined, undefined, undefined, `${deploymentLabel}=${name}`)
      ).body.items;
      // The pod that explains a failure is the one not ready; among equals the newest. Creation times are whole
      // seconds in Kubernetes (and Dates once the client has parsed them), so a rollout's pods can tie.
      const ready = (pod: (typeof pods)[number]) => {
        const statuses = pod.status?.containerStatuses ?? [];
        return statuses.length > 0 && statuses.every((c) => c.ready);
      };
      const created = (pod: (typeof pods)[number]) => new Date(pod.metadata?.creationTimestamp ?? 0).getTime();
      const newest = pods.sort((a, b) => Number(ready(a)) - Number(ready(b)) || created(b) - created(a))[0];
      if (!newest?.metadata?.name) return '(no pods)';
      const log = await core.readNamespacedPodLog(
        newest.metadata.name,
        this.options.namespace,
        'scorer',
        false,
        undefined,
        undefined,
        undefined,
        false,
        undefined,
        50,
      );
      return log.body;
    } catch (err) {
      return `(logs unavailable: ${(err as Error).message})`;
    }
  }
}
