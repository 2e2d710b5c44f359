import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import net, { AddressInfo } from 'node:net';
import { loopbackTls } from './loopbackTls';
import { deploymentProblems, serviceProblems } from './kubernetesObjects';
import { actionOf, AksRoleAssignment, forbiddenMessage } from './kubernetesRbac';
import { readRequestBody } from './requestBody';

type Json = Record<string, unknown>;

export interface KubernetesFakeOptions {
  /** The deployer's bearer token; its principal holds `tokenRole` (default: RBAC Writer on the whole cluster). */
  token: string;
  tokenRole?: AksRoleAssignment;
  /** The compiled model server the pods run (`dist/scoring/main.js`). */
  scorerEntry: string;
  /** Azurite access for the pods (in AKS the workload identity reads the package). */
  storageConnectionString?: string;
  /** How long a new pod may take to become ready before the rollout counts as failed (Kubernetes: progressDeadlineSeconds). */
  progressDeadlineMs?: number;
}

interface Pod {
  name: string;
  generation: number;
  labels: Json;
  startedAt: number;
  child?: ChildProcess;
  port?: number;
  ready: boolean;
  probing: boolean;
  log: string[];
}

interface Deployment {
  object: Json;
  pods: Pod[];
}

interface Service {
  object: Json;
  proxy: net.Server;
  port: number;
}

export interface KubernetesRequest {
  method: string;
  path: string;
  status: number;
  body: unknown;
}

const deploymentsPath = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments(?:\/([^/]+))?$/;
const servicesPath = /^\/api\/v1\/namespaces\/([^/]+)\/services(?:\/([^/]+))?$/;
const podsPath = /^\/api\/v1\/namespaces\/([^/]+)\/pods(?:\/([^/]+)\/log)?$/;

class KubeError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

const object = (value: unknown): Json => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {});
const containerOf = (template: Json): Json => ((object(template.spec).containers as Json[] | undefined) ?? [])[0] ?? {};

/**
 * A fake of the Kubernetes API server of an AKS cluster, on loopback HTTPS: apps/v1 Deployments, v1 Services and Pods
 * (list and log) in any namespace, with the API server's answers (201/200, 404 NotFound, 409 AlreadyExists or
 * Conflict on a stale resourceVersion, 422 Invalid with the field errors, 401 without the bearer token). Pods really
 * run: each Deployment generation starts the local model server with the template's environment; a rolling update
 * keeps the old pod serving until the new one is ready, then stops it, and a pod not ready within the progress
 * deadline fails the rollout (`ProgressDeadlineExceeded`). A LoadBalancer Service is a TCP proxy on loopback to the
 * ready pod its selector picks; its ingress IP and port are the proxy's. Fault: `neverReady` (the next pod never answers).
 * Authorization is Azure RBAC's (kubernetesRbac.ts): each token maps to a principal's role assignments, and a write
 * to a namespace the role does not cover answers 403 Forbidden.
 */
export class KubernetesFake {
  readonly requests: KubernetesRequest[] = [];
  readonly #deployments = new Map<string, Deployment>();
  readonly #services = new Map<string, Service>();
  readonly #server: https.Server;
  readonly #timer: NodeJS.Timeout;
  readonly #assignments = new Map<string, AksRoleAssignment[]>();
  #neverReady = 0;
  #url = '';

  constructor(private readonly opts: KubernetesFakeOptions) {
    this.#assignments.set(opts.token, [opts.tokenRole ?? { principal: 'canopy-workload', role: 'Azure Kubernetes Service RBAC Writer' }]);
    this.#server = https.createServer(loopbackTls(), (req, res) => void this.#serve(req, res));
    this.#timer = setInterval(() => this.#reconcile(), 100);
    this.#timer.unref();
  }

  get url(): string {
    return this.#url;
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.#url = `https://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  /** A kubeconfig as AKS's listClusterUserCredential returns for an Entra ID cluster: the user authenticates with kubelogin. */
  kubeconfig(cluster: string): string {
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: ${cluster}`,
      '  cluster:',
      `    server: ${this.#url}`,
      // The fake's certificate is the test-only loopback one, issued to no host name.
      '    insecure-skip-tls-verify: true',
      'contexts:',
      `- name: ${cluster}`,
      '  context:',
      `    cluster: ${cluster}`,
      `    user: clusterUser_${cluster}`,
      `current-context: ${cluster}`,
      'users:',
      `- name: clusterUser_${cluster}`,
      '  user:',
      '    exec:',
      '      apiVersion: client.authentication.k8s.io/v1beta1',
      '      command: kubelogin',
      '      args: [get-token, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630, --login, azurecli]',
      '',
    ].join('\n');
  }

  /** Accepts `token` as a principal with these role assignments (none: authenticated, allowed nothing). */
  assignRoles(token: string, assignments: AksRoleAssignment[]): void {
    this.#assignments.set(token, assignments);
  }

  /** The next `count` pods started never become ready. */
  neverReady(count = 1): void {
    this.#neverReady += count;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    for (const d of this.#deployments.values()) for (const pod of d.pods) this.#stopPod(pod);
    for (const s of this.#services.values()) s.proxy.close();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const { json } = await readRequestBody(req);
    const entry: KubernetesRequest = { method: req.method ?? 'GET', path: url.pathname, status: 0, body: json };
    this.requests.push(entry);
    let status = 200;
    let body: unknown;
    try {
      const assignments = this.#assignments.get(String(req.headers.authorization ?? '').replace(/^Bearer /, ''));
      if (!req.headers.authorization?.startsWith('Bearer ') || !assignments) throw new KubeError(401, 'Unauthorized', 'Unauthorized');
      const action = actionOf(entry.method, url.pathname);
      const forbidden = action && forbiddenMessage(assignments, action);
      if (forbidden) throw new KubeError(403, 'Forbidden', forbidden);
      [status, body] = this.#route(entry.method, url, object(json));
    } catch (err) {
      if (!(err instanceof KubeError)) throw err;
      status = err.code;
      body = {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: err.message,
        reason: err.reason,
        code: err.code,
      };
    }
    entry.status = status;
    res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  }

  #route(method: string, url: URL, body: Json): [number, unknown] {
    const path = url.pathname;
    let m = deploymentsPath.exec(path);
    if (m) return this.#deploymentRoute(method, m[1], m[2], body);
    m = servicesPath.exec(path);
    if (m) return this.#serviceRoute(method, m[1], m[2], body);
    m = podsPath.exec(path);
    if (m && method === 'GET')
      return m[2] ? [200, this.#podLog(m[1], m[2])] : [200, this.#podList(m[1], url.searchParams.get('labelSelector'))];
    throw new KubeError(404, 'NotFound', 'the server could not find the requested resource');
  }

  #deploymentRoute(method: string, namespace: string, name: string | undefined, body: Json): [number, unknown] {
    if (!name) {
      // The list ignores a label selector: every Deployment here is the AKS deployer's, which filters what it lists.
      if (method === 'GET') {
        const items = [...this.#deployments.entries()]
          .filter(([key]) => key.startsWith(`${namespace}/`))
          .map(([, d]) => this.#renderDeployment(d));
        return [200, { kind: 'DeploymentList', apiVersion: 'apps/v1', metadata: {}, items }];
      }
      if (method !== 'POST') throw new KubeError(405, 'MethodNotAllowed', 'the server does not allow this method');
      this.#validate(body, deploymentProblems, 'Deployment');
      const key = `${namespace}/${String(object(body.metadata).name)}`;
      if (this.#deployments.has(key))
        throw new KubeError(409, 'AlreadyExists', `deployments.apps "${String(object(body.metadata).name)}" already exists`);
      const deployment: Deployment = { object: this.#stored(body, namespace, 1), pods: [] };
      this.#deployments.set(key, deployment);
      this.#startPod(deployment);
      return [201, this.#renderDeployment(deployment)];
    }
    const key = `${namespace}/${name}`;
    const deployment = this.#deployments.get(key);
    if (!deployment) throw new KubeError(404, 'NotFound', `deployments.apps "${name}" not found`);
    if (method === 'GET') return [200, this.#renderDeployment(deployment)];
    if (method === 'DELETE') {
      this.#deployments.delete(key);
      for (const pod of deployment.pods) this.#stopPod(pod);
      return [200, { kind: 'Status', apiVersion: 'v1', status: 'Success', details: { name, group: 'apps', kind: 'deployments' } }];
    }
    if (method !== 'PUT') throw new KubeError(405, 'MethodNotAllowed', 'the server does not allow this method');
    this.#validate(body, deploymentProblems, 'Deployment');
    const current = object(deployment.object.metadata);
    const sent = object(body.metadata).resourceVersion;
    if (sent !== undefined && sent !== current.resourceVersion)
      throw new KubeError(409, 'Conflict', `Operation cannot be fulfilled on deployments.apps "${name}": the object has been modified`);
    const templateChanged = JSON.stringify(object(body.spec).template) !== JSON.stringify(object(deployment.object.spec).template);
    const generation = Number(current.generation) + (templateChanged ? 1 : 0);
    const stored = this.#stored(body, namespace, generation);
    deployment.object = {
      ...stored,
      metadata: { ...object(stored.metadata), uid: current.uid, creationTimestamp: current.creationTimestamp },
    };
    if (templateChanged) this.#startPod(deployment);
    return [200, this.#renderDeployment(deployment)];
  }

  #serviceRoute(method: string, namespace: string, name: string | undefined, body: Json): [number, unknown] {
    if (!name) {
      if (method !== 'POST') throw new KubeError(405, 'MethodNotAllowed', 'the server does not allow this method');
      this.#validate(body, serviceProblems, 'Service');
      const key = `${namespace}/${String(object(body.metadata).name)}`;
      if (this.#services.has(key))
        throw new KubeError(409, 'AlreadyExists', `services "${String(object(body.metadata).name)}" already exists`);
      const stored = this.#stored(body, namespace, 1);
      const selector = object(object(stored.spec).selector);
      const proxy = net.createServer((socket) => {
        const target = this.#readyPodFor(namespace, selector);
        if (!target?.port) return socket.destroy();
        const upstream = net.connect(target.port, '127.0.0.1');
        socket.pipe(upstream).pipe(socket);
        upstream.on('error', () => socket.destroy());
        socket.on('error', () => upstream.destroy());
      });
      proxy.listen(0, '127.0.0.1');
      const service: Service = { object: stored, proxy, port: 0 };
      proxy.on('listening', () => (service.port = (proxy.address() as AddressInfo).port));
      this.#services.set(key, service);
      return [201, this.#renderService(service)];
    }
    const key = `${namespace}/${name}`;
    const service = this.#services.get(key);
    if (!service) throw new KubeError(404, 'NotFound', `services "${name}" not found`);
    if (method === 'GET') return [200, this.#renderService(service)];
    if (method === 'DELETE') {
      this.#services.delete(key);
      service.proxy.close();
      return [200, this.#renderService(service)];
    }
    throw new KubeError(405, 'MethodNotAllowed', 'the server does not allow this method');
  }

  #validate(body: Json, check: (b: Json) => string[], kind: string): void {
    const problems = check(body);
    if (problems.length > 0)
      throw new KubeError(422, 'Invalid', `${kind} "${String(object(body.metadata).name ?? '')}" is invalid: ${problems.join(', ')}`);
  }

  #stored(body: Json, namespace: string, generation: number): Json {
    const metadata = object(body.metadata);
    return {
      ...body,
      metadata: {
        ...metadata,
        namespace,
        uid: randomUUID(),
        resourceVersion: String(Date.now()) + String(Math.floor(Math.random() * 1000)),
        generation,
        creationTimestamp: new Date().toISOString(),
      },
      status: undefined,
    };
  }

  #startPod(deployment: Deployment): void {
    const generation = Number(object(deployment.object.metadata).generation);
    const template = object(object(deployment.object.spec).template);
    const pod: Pod = {
      name: `${String(object(deployment.object.metadata).name)}-${generation}-${randomUUID().slice(0, 5)}`,
      generation,
      labels: object(object(template.metadata).labels),
      startedAt: Date.now(),
      ready: false,
      probing: false,
      log: [],
    };
    deployment.pods.push(pod);
    if (this.#neverReady > 0) {
      this.#neverReady--;
      pod.log.push('scorer: waiting for the model package (never answers: injected fault)');
      return;
    }
    const container = containerOf(template);
    const env = Object.fromEntries(((container.env as Json[] | undefined) ?? []).map((v) => [String(v.name), String(v.value ?? '')]));
    const child = spawn(process.execPath, [this.opts.scorerEntry, '--port', '0', '--host', '127.0.0.1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        ...env,
        ...(this.opts.storageConnectionString ? { MODEL_STORAGE_CONNECTION: this.opts.storageConnectionString } : {}),
      },
    });
    pod.child = child;
    const record = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        pod.log.push(line);
        const listening = /scorer listening on port (\d+)/.exec(line);
        if (listening) pod.port = Number(listening[1]);
      }
    };
    child.stdout?.on('data', record);
    child.stderr?.on('data', record);
  }

  #stopPod(pod: Pod): void {
    pod.ready = false;
    if (pod.child && pod.child.exitCode === null && pod.child.signalCode === null) pod.child.kill('SIGTERM');
  }

  /** Readiness probes, and the rolling update: once the newest pod is ready, the older ones stop. */
  #reconcile(): void {
    for (const deployment of this.#deployments.values()) {
      for (const pod of deployment.pods) {
        if (!pod.port || pod.ready || pod.probing) continue;
        pod.probing = true;
        fetch(`http://127.0.0.1:${pod.port}/health`, { signal: AbortSignal.timeout(1000) })
          .then(
            (res) => (pod.ready = res.ok),
            () => undefined,
          )
          .finally(() => (pod.probing = false));
      }
      const newest = deployment.pods[deployment.pods.length - 1];
      if (newest?.ready)
        for (const old of deployment.pods.filter((p) => p !== newest)) {
          this.#stopPod(old);
          deployment.pods.splice(deployment.pods.indexOf(old), 1);
        }
    }
  }

  #readyPodFor(namespace: string, selector: Json): Pod | undefined {
    const matches = (labels: Json) => Object.entries(selector).every(([k, v]) => labels[k] === v);
    const ready = [...this.#deployments.entries()]
      .filter(([key]) => key.startsWith(`${namespace}/`))
      .flatMap(([, d]) => d.pods)
      .filter((p) => p.ready && matches(p.labels));
    return ready[ready.length - 1];
  }

  #renderDeployment(deployment: Deployment): Json {
    const metadata = object(deployment.object.metadata);
    const generation = Number(metadata.generation);
    const newest = deployment.pods.find((p) => p.generation === generation);
    const ready = deployment.pods.filter((p) => p.ready).length;
    const deadline = this.opts.progressDeadlineMs ?? 20_000;
    const exceeded = newest !== undefined && !newest.ready && Date.now() - newest.startedAt > deadline;
    const progressing = newest?.ready
      ? { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet has successfully progressed.` }
      : exceeded
        ? {
            type: 'Progressing',
            status: 'False',
            reason: 'ProgressDeadlineExceeded',
            message: `ReplicaSet "${newest.name}" has timed out progressing.`,
          }
        : {
            type: 'Progressing',
            status: 'True',
            reason: 'ReplicaSetUpdated',
            message: `ReplicaSet "${newest?.name ?? ''}" is progressing.`,
          };
    return {
      ...deployment.object,
      status: {
        observedGeneration: generation,
        replicas: deployment.pods.length,
        updatedReplicas: newest ? 1 : 0,
        readyReplicas: ready,
        availableReplicas: ready,
        unavailableReplicas: deployment.pods.length - ready,
        conditions: [
          {
            type: 'Available',
            status: ready > 0 ? 'True' : 'False',
            reason: ready > 0 ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
          },
          progressing,
        ],
      },
    };
  }

  #renderService(service: Service): Json {
    const spec = object(service.object.spec);
    const ports = (spec.ports as Json[]).map((p, i) => (i === 0 && service.port ? { ...p, port: service.port } : p));
    return {
      ...service.object,
      spec: { ...spec, ports, clusterIP: '10.0.0.10' },
      status: { loadBalancer: spec.type === 'LoadBalancer' && service.port ? { ingress: [{ ip: '127.0.0.1' }] } : {} },
    };
  }

  #podList(namespace: string, labelSelector: string | null): Json {
    const wanted = Object.fromEntries(
      (labelSelector ?? '')
        .split(',')
        .filter(Boolean)
        .map((s) => s.split('=')),
    );
    const items = [...this.#deployments.entries()]
      .filter(([key]) => key.startsWith(`${namespace}/`))
      .flatMap(([, d]) => d.pods)
      .filter((p) => Object.entries(wanted).every(([k, v]) => p.labels[k] === v))
      .map((p) => ({
        kind: 'Pod',
        apiVersion: 'v1',
        metadata: { name: p.name, namespace, labels: p.labels, creationTimestamp: new Date(p.startedAt).toISOString() },
        status: { phase: 'Running', containerStatuses: [{ name: 'scorer', ready: p.ready, restartCount: 0 }] },
      }));
    return { kind: 'PodList', apiVersion: 'v1', metadata: {}, items };
  }

  #podLog(namespace: string, name: string): string {
    const pod = [...this.#deployments.entries()]
      .filter(([key]) => key.startsWith(`${namespace}/`))
      .flatMap(([, d]) => d.pods)
      .find((p) => p.name === name);
    if (!pod) throw new KubeError(404, 'NotFound', `pods "${name}" not found`);
    return pod.log.map((l) => `${l}\n`).join('');
  }
}
