import { ChildProcess, spawn } from 'node:child_process';
import { ArmHttpError, ArmFake } from './arm/armFake';
import { AciLimits, defaultAciLimits } from '../../shared/domain/azureRules';
import { ArmResource } from './arm/armTypes';
import { containerGroups, containerInstanceApiVersion, imagePullFailure } from './containerInstanceGroups';

type Json = Record<string, unknown>;

export interface ContainerInstanceFakeOptions {
  /** The compiled model server (`dist/scoring/main.js`): what the scorer image runs. */
  scorerEntry: string;
  /** Azurite's connection string: the fake, not the adapter, gives containers storage access (Azure uses the identity). */
  storageConnectionString?: string;
  provisionMs?: number;
  deleteMs?: number;
  /** The region's ceiling for one group, answered by the capabilities API and enforced on create. */
  limits?: AciLimits;
}

/**
 * How the next container groups' containers behave instead of running the scorer; `image-pull`: the image cannot be
 * pulled, the group fails and the pull errors are on the container's instance view (not the group's), as in Azure.
 */
export type ContainerFault = 'never-healthy' | 'crash-loop' | 'image-pull';

interface Group {
  resource: ArmResource;
  env: Record<string, string>;
  fault?: ContainerFault;
  child?: ChildProcess;
  started: boolean;
  stopped: boolean;
  restarts: number;
  log: string[];
}

const maxLogLines = 2000;
const capabilitiesPath = /^\/subscriptions\/[^/]+\/providers\/microsoft\.containerinstance\/locations\/([^/]+)\/capabilities$/;
const logsPath =
  /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.containerinstance\/containergroups\/([^/]+)\/containers\/([^/]+)\/logs$/;

/**
 * Container Instances on the ARM fake, with containers that really run: once a group's create succeeds, its container
 * is the local model server started with the group's environment, listening on loopback; the group reports
 * `ip: 127.0.0.1` and that port. A container that exits is restarted with backoff (restartPolicy), its state and
 * restart count in the instance view; `containers/{c}/logs` returns its output. Faults: `failNextCreate` (ARM's),
 * and per group `never-healthy` (running, nothing answering) or `crash-loop` (the process exits at once, every time).
 */
export class ContainerInstanceFake {
  readonly #groups = new Map<string, Group>();
  readonly #faults: ContainerFault[] = [];
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly arm: ArmFake,
    private readonly opts: ContainerInstanceFakeOptions,
  ) {
    arm.register(
      containerGroups({
        provisionMs: opts.provisionMs,
        deleteMs: opts.deleteMs,
        limits: opts.limits,
        onAccepted: (resource, body) => this.#accepted(resource, body),
      }),
    );
    arm.route({
      method: 'GET',
      path: logsPath,
      apiVersions: [containerInstanceApiVersion],
      handle: ({ match, query }) => this.#logs(match[1], match[2], Number(query.get('tail') ?? 0)),
    });
    arm.route({
      method: 'GET',
      path: capabilitiesPath,
      apiVersions: [containerInstanceApiVersion],
      handle: ({ match }) => ({ status: 200, body: { value: [this.#capabilities(match[1])] } }),
    });
    // Containers start once ARM says the group succeeded, and stop once it is deleting: the store computes those
    // states from the clock when read, so they are looked at here on a short period.
    this.#timer = setInterval(() => this.#reconcile(), 50);
    this.#timer.unref();
  }

  /** The next container group created gets this fault (queued in order). */
  injectContainerFault(fault: ContainerFault): void {
    this.#faults.push(fault);
    if (fault === 'image-pull') this.arm.faults.failNextCreate('Microsoft.ContainerInstance/containerGroups', imagePullFailure);
  }

  /** Stops every container (the fake's owner calls this before closing the ARM fake). */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await Promise.all([...this.#groups.values()].map((g) => this.#stop(g)));
    this.#groups.clear();
  }

  #accepted(resource: ArmResource, body: Json): void {
    const previous = this.#groups.get(resource.id.toLowerCase());
    if (previous) void this.#stop(previous);
    const container = (((body.properties as Json).containers as Json[])[0]?.properties ?? {}) as Json;
    const env = Object.fromEntries(
      ((container.environmentVariables as Json[] | undefined) ?? []).map((v) => [String(v.name), String(v.value ?? v.secureValue ?? '')]),
    );
    const fault = this.#faults.shift();
    this.#groups.set(resource.id.toLowerCase(), { resource, env, fault, started: false, stopped: false, restarts: 0, log: [] });
    if (fault === 'image-pull') this.#failPull(resource, String(container.image));
  }

  #failPull(resource: ArmResource, image: string): void {
    const container = (resource.properties.containers as Json[])[0].properties as Json;
    const at = new Date().toISOString();
    container.instanceView = {
      currentState: { state: 'Waiting', detailStatus: 'ErrImagePull' },
      restartCount: 0,
      events: [
        { count: 1, firstTimestamp: at, lastTimestamp: at, name: 'Pulling', message: `pulling image "${image}"`, type: 'Normal' },
        {
          count: 1,
          firstTimestamp: at,
          lastTimestamp: at,
          name: 'Failed',
          message: `Failed to pull image "${image}": failed to authorize: failed to fetch oauth token: unexpected status: 401 Unauthorized`,
          type: 'Warning',
        },
      ],
    };
  }

  #capabilities(location: string): Json {
    const limits = this.opts.limits ?? defaultAciLimits;
    return {
      resourceType: 'containerGroups',
      osType: 'Linux',
      location,
      ipAddressType: 'Public',
      gpu: 'None',
      capabilities: { maxMemoryInGB: limits.maxMemoryInGB, maxCpu: limits.maxCpu, maxGpuCount: 0 },
    };
  }

  #reconcile(): void {
    for (const [id, group] of this.#groups) {
      const view = this.arm.resource(id);
      const state = view?.resource.properties.provisioningState;
      if (!view || state === 'Deleting') {
        void this.#stop(group);
        if (!view) this.#groups.delete(id);
      } else if (state === 'Succeeded' && !group.started) {
        group.started = true;
        this.#start(group);
      }
    }
  }

  #start(group: Group): void {
    const props = group.resource.properties;
    const ipAddress = (props.ipAddress ?? {}) as Json;
    if (group.fault === 'never-healthy') {
      // Port 9 (discard) on loopback: nothing listens, so the container runs and never answers.
      props.ipAddress = { ...ipAddress, ip: '127.0.0.1', ports: [{ port: 9, protocol: 'TCP' }] };
      this.#setContainerState(group, { state: 'Running', startTime: new Date().toISOString() });
      props.instanceView = { state: 'Running', events: [] };
      return;
    }
    const args =
      group.fault === 'crash-loop'
        ? ['-e', "console.error('scorer: cannot load the model package: 403 AuthorizationPermissionMismatch'); process.exit(1)"]
        : [this.opts.scorerEntry, '--port', '0', '--host', '127.0.0.1'];
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        ...group.env,
        ...(this.opts.storageConnectionString ? { MODEL_STORAGE_CONNECTION: this.opts.storageConnectionString } : {}),
      },
    });
    group.child = child;
    const startTime = new Date().toISOString();
    const record = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        group.log.push(line);
        const listening = /scorer listening on port (\d+)/.exec(line);
        if (listening) props.ipAddress = { ...ipAddress, ip: '127.0.0.1', ports: [{ port: Number(listening[1]), protocol: 'TCP' }] };
      }
      group.log.splice(0, Math.max(0, group.log.length - maxLogLines));
    };
    child.stdout?.on('data', record);
    child.stderr?.on('data', record);
    this.#setContainerState(group, { state: 'Running', startTime });
    props.instanceView = { state: 'Running', events: [] };
    child.once('exit', (code, signal) => {
      if (group.stopped) return;
      const terminated = {
        state: 'Terminated',
        startTime,
        finishTime: new Date().toISOString(),
        exitCode: code ?? 137,
        detailStatus: signal ?? 'Error',
      };
      group.restarts++;
      const backoffMs = Math.min(5000, 100 * 2 ** group.restarts);
      this.#setContainerState(
        group,
        { state: 'Waiting', detailStatus: 'CrashLoopBackOff: Back-off restarting failed container' },
        terminated,
      );
      setTimeout(() => {
        if (!group.stopped) this.#start(group);
      }, backoffMs).unref();
    });
  }

  #setContainerState(group: Group, currentState: Json, previousState?: Json): void {
    const containers = group.resource.properties.containers as Json[];
    const container = containers[0].properties as Json;
    const before = (container.instanceView ?? {}) as Json;
    container.instanceView = {
      currentState,
      previousState: previousState ?? before.previousState,
      restartCount: group.restarts,
      events:
        group.restarts > 0
          ? [{ type: 'Warning', name: 'BackOff', message: 'Back-off restarting failed container', count: group.restarts }]
          : [],
    };
  }

  async #stop(group: Group): Promise<void> {
    group.stopped = true;
    const child = group.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  #logs(groupName: string, container: string, tail: number): { status: number; body: unknown } {
    const group = [...this.#groups.values()].find((g) => g.resource.name.toLowerCase() === groupName);
    if (!group || !this.arm.resource(group.resource.id))
      throw new ArmHttpError(404, {
        code: 'ResourceNotFound',
        message: `The Resource 'Microsoft.ContainerInstance/containerGroups/${groupName}' was not found.`,
      });
    const names = (group.resource.properties.containers as Json[]).map((c) => String(c.name).toLowerCase());
    if (!names.includes(container))
      throw new ArmHttpError(404, {
        code: 'ContainerNotFound',
        message: `The container '${container}' is not in container group '${groupName}'.`,
      });
    const lines = tail > 0 ? group.log.slice(-tail) : group.log;
    return { status: 200, body: { content: lines.map((l) => `${l}\n`).join('') } };
  }
}
