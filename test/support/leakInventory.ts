import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { ResourceManagementClient } from '@azure/arm-resources';
import { armClientOptions } from '../../shared/adapters/azure/azureCredential';
import { azureAccess, fakeAzureToken } from '../../shared/composition';
import { canopyTags } from '../../shared/domain/resourceTags';
import { AzureFakes, fakeAksNamespace, fakeResourceGroup } from './azureFakes';
import { stores } from './canopyUnderTest';
import { alive } from '../../shared/adapters/local/processes';

/** One thing a run created, and whether it is still there. */
export interface AuditedResource {
  /** `arm:<type>/<name>`, `k8s:<kind>/<name>`, `local-cluster:<name>`, `local-batch:<cluster>/<batch>`, `local-server:<name>`. */
  id: string;
  live: boolean;
  /** A live deployment that a model serves (with traffic, or kept for rollback): the run's product, not a leak. */
  served?: boolean;
  /** Cluster time billed after the run ended, in minutes (clusters only). */
  minutesAfterEnd?: number;
  /** Clusters: when the create was accepted and when the cluster was gone (absent while it lives). */
  createdAt?: string;
  goneAt?: string;
}

export interface RunInventory {
  resources: AuditedResource[];
  resourcesCreated: number;
  leakedResources: number;
  leakedClusterMinutes: number;
}

/** Where a run's resources can be: the fakes (when the host uses them) and the host's local state folder. */
export interface InventorySources {
  fakes?: AzureFakes;
  /** The host's CANOPY_LOCAL_STATE: `compute/<cluster>/` folders and `deployments/<name>.json` model servers. */
  localState: string;
  /** How long the ARM fake takes to delete a cluster once the delete is accepted. */
  clusterDeleteMs: number;
}

export interface AuditedRun {
  instanceId: string;
  /** The model its deployments serve (the pipeline's name), if it deploys. */
  model?: string;
  /** Names of the clusters it may have created (derived from the instance id, so found even without a ledger entry). */
  clusterNames: string[];
  /** When the run ended (ms since the epoch). */
  endedAt: number;
}

const minutes = (ms: number): number => Math.max(0, ms) / 60_000;

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Names of the deployments some model serves: healthy in the registry. */
export async function servedDeploymentNames(): Promise<Set<string>> {
  const { registry } = await stores();
  const names = new Set<string>();
  for (const model of await registry.listModels())
    for (const d of await registry.listDeployments(model)) if (d.state === 'healthy') names.add(d.name);
  return names;
}

interface ArmResourceSeen {
  type: string;
  name: string;
  tags: Record<string, string>;
}

async function liveArmResources(fakes: AzureFakes): Promise<ArmResourceSeen[]> {
  const access = azureAccess(fakes.azure);
  const client = new ResourceManagementClient(
    access.credential,
    fakes.azure.subscriptionId,
    armClientOptions(fakes.azure.armEndpoint, access),
  );
  const found: ArmResourceSeen[] = [];
  for await (const r of client.resources.listByResourceGroup(fakeResourceGroup))
    found.push({ type: (r.type ?? '').toLowerCase(), name: r.name ?? '', tags: r.tags ?? {} });
  return found;
}

/** Names of the Kubernetes fake's objects in the namespace Canopy deploys to, as the API server lists them now. */
async function kubernetesNames(fakes: AzureFakes, kind: 'deployments' | 'services'): Promise<Set<string>> {
  const kube = fakes.kube;
  if (!kube) return new Set();
  const route =
    kind === 'deployments' ? `/apis/apps/v1/namespaces/${fakeAksNamespace}/deployments` : `/api/v1/namespaces/${fakeAksNamespace}/services`;
  const body = await new Promise<string>((resolve, reject) => {
    // The fake's certificate is the test-only loopback one.
    const req = https.get(
      `${kube.url}${route}`,
      { headers: { authorization: `Bearer ${fakeAzureToken}` }, rejectUnauthorized: false },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve(text));
      },
    );
    req.on('error', reject);
  });
  const items = (JSON.parse(body) as { items?: { metadata: { name: string } }[] }).items ?? [];
  return new Set(items.map((i) => i.metadata.name));
}

/** Objects the Kubernetes fake was asked to create (POST answered 201) in the namespace, with their annotations. */
function kubernetesCreated(fakes: AzureFakes, kind: 'deployments' | 'services'): { name: string; annotations: Record<string, string> }[] {
  return (fakes.kube?.requests ?? [])
    .filter((r) => r.method === 'POST' && r.status === 201 && r.path.endsWith(`/${kind}`))
    .map((r) => (r.body as { metadata?: { name?: string; annotations?: Record<string, string> } }).metadata ?? {})
    .map((m) => ({ name: m.name ?? '', annotations: m.annotations ?? {} }));
}

/** ARM resources created for the run: PUTs answered 200/201 whose body carries the run's tag or whose name is the run's. */
function armCreated(fakes: AzureFakes, run: AuditedRun): { type: string; name: string; at: number }[] {
  const created = new Map<string, { type: string; name: string; at: number }>();
  for (const r of fakes.arm.requests) {
    if (r.method !== 'PUT' || (r.status !== 200 && r.status !== 201)) continue;
    const match = /\/providers\/([^/]+\/[^/]+)\/([^/]+)$/.exec(r.path);
    if (!match) continue;
    const tags = (r.body as { tags?: Record<string, string> } | undefined)?.tags ?? {};
    if (tags[canopyTags.instance] !== run.instanceId && !run.clusterNames.includes(match[2])) continue;
    const key = `${match[1].toLowerCase()}/${match[2]}`;
    if (!created.has(key)) created.set(key, { type: match[1].toLowerCase(), name: match[2], at: r.at });
  }
  return [...created.values()];
}

/**
 * Everything the run created, across the fakes' inventories (ARM clusters and container groups, Kubernetes
 * deployments and services), the local target's cluster folders, batch processes and model servers, and the
 * ledger; what is still live; and the cluster time billed after the run ended.
 */
export async function inventoryOfRun(sources: InventorySources, run: AuditedRun): Promise<RunInventory> {
  const now = Date.now();
  const served = await servedDeploymentNames();
  const resources: AuditedResource[] = [];
  const { ledger } = await stores();
  const ledgerEntries = await ledger.listByInstance(run.instanceId);
  const ownedNames = new Set([...run.clusterNames, ...ledgerEntries.map((e) => e.name)]);

  if (sources.fakes) {
    const fakes = sources.fakes;
    const live = await liveArmResources(fakes);
    const isRuns = (r: ArmResourceSeen) => r.tags[canopyTags.instance] === run.instanceId || ownedNames.has(r.name);
    const seen = new Set<string>();
    for (const created of armCreated(fakes, run)) {
      const key = `${created.type}/${created.name}`;
      seen.add(key);
      const isLive = live.some((r) => r.type === created.type && r.name === created.name);
      const cluster = created.type === 'microsoft.hdinsight/clusters';
      let minutesAfterEnd: number | undefined;
      let times: Pick<AuditedResource, 'createdAt' | 'goneAt'> = {};
      if (cluster) {
        const deleted = fakes.arm.requests.find(
          (r) => r.method === 'DELETE' && r.status === 202 && r.path.endsWith(`/clusters/${created.name}`) && r.at >= created.at,
        );
        const gone = isLive || !deleted ? now : deleted.at + sources.clusterDeleteMs;
        minutesAfterEnd = minutes(gone - Math.max(run.endedAt, created.at));
        times = { createdAt: new Date(created.at).toISOString(), goneAt: isLive ? undefined : new Date(gone).toISOString() };
      }
      resources.push({ id: `arm:${key}`, live: isLive, served: isLive && served.has(created.name), minutesAfterEnd, ...times });
    }
    // Anything live that carries the run's tag but was never seen created (a create the log missed) still counts.
    for (const r of live.filter(isRuns)) {
      const key = `${r.type}/${r.name}`;
      if (seen.has(key)) continue;
      resources.push({
        id: `arm:${key}`,
        live: true,
        served: served.has(r.name),
        minutesAfterEnd: r.type === 'microsoft.hdinsight/clusters' ? minutes(now - run.endedAt) : undefined,
      });
    }
    // A deployment is the run's by its annotation (or the ledger); its service, which carries no tags, by its name.
    const runsDeployments = kubernetesCreated(fakes, 'deployments')
      .filter((d) => ownedNames.has(d.name) || d.annotations[canopyTags.instance] === run.instanceId)
      .map((d) => d.name);
    for (const kind of ['deployments', 'services'] as const) {
      const liveNames = await kubernetesNames(fakes, kind);
      const created = new Set(kubernetesCreated(fakes, kind).map((o) => o.name));
      for (const name of new Set(runsDeployments.filter((n) => created.has(n)))) {
        const isLive = liveNames.has(name);
        resources.push({ id: `k8s:${kind}/${name}`, live: isLive, served: isLive && served.has(name) });
      }
    }
    // Batches still running on Livy for the run's clusters.
    for (const cluster of run.clusterNames)
      for (const batch of await fakes.livy.submitted(cluster)) {
        const current = (await fakes.livy.batches(cluster)).find((b) => b.id === batch.id);
        resources.push({
          id: `livy:${cluster}/${batch.id}`,
          live: current !== undefined && ['starting', 'running', 'busy', 'idle'].includes(current.state),
        });
      }
  }

  for (const cluster of run.clusterNames) {
    const dir = path.join(sources.localState, 'compute', cluster);
    const file = path.join(dir, 'cluster.json');
    const state = readJson<{ state: string; createdAt: string }>(file);
    if (!state) continue;
    const isLive = state.state !== 'deleted';
    const gone = isLive ? now : fs.statSync(file).mtimeMs;
    resources.push({
      id: `local-cluster:${cluster}`,
      live: isLive,
      minutesAfterEnd: minutes(gone - Math.max(run.endedAt, Date.parse(state.createdAt))),
    });
    const batches = path.join(dir, 'batches');
    for (const batch of fs.existsSync(batches) ? fs.readdirSync(batches) : []) {
      const record = readJson<{ pid?: number }>(path.join(batches, batch, 'batch.json'));
      resources.push({ id: `local-batch:${cluster}/${batch}`, live: alive(record?.pid) });
    }
  }
  const deployments = path.join(sources.localState, 'deployments');
  for (const file of fs.existsSync(deployments) ? fs.readdirSync(deployments).filter((f) => f.endsWith('.json')) : []) {
    const name = file.slice(0, -'.json'.length);
    const record = readJson<{ pid?: number; deleted?: boolean; tags?: Record<string, string> }>(path.join(deployments, file));
    if (!ownedNames.has(name) && record?.tags?.[canopyTags.instance] !== run.instanceId) continue;
    const isLive = !record?.deleted && alive(record?.pid);
    resources.push({ id: `local-server:${name}`, live: isLive, served: isLive && served.has(name) });
  }

  // A ledger entry still open for a resource no inventory holds is no cost, but it is not a closed books either.
  for (const entry of ledgerEntries)
    if (!resources.some((r) => r.id.endsWith(`/${entry.name}`) || r.id.endsWith(`:${entry.name}`)))
      resources.push({ id: `ledger:${entry.id}`, live: entry.owned && !entry.deletedAt && !served.has(entry.name) });

  const leaked = resources.filter((r) => r.live && !r.served);
  return {
    resources,
    resourcesCreated: resources.filter((r) => !r.id.startsWith('ledger:')).length,
    leakedResources: leaked.length,
    leakedClusterMinutes: Math.round(resources.reduce((sum, r) => sum + (r.minutesAfterEnd ?? 0), 0) * 1000) / 1000,
  };
}
