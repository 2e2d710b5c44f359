import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { clusterName, scoringClusterName } from '../../shared/domain/naming';
import { registerImageModel, uploadBlobs, uploadTestImages, waitForBatch } from '../batch-scoring/batchScoringFixture';
import { AzureFakes, startAzureFakes } from './azureFakes';
import { CanopyUnderTest, fashionSample, imageSpec, stores, uploadFolder } from './canopyUnderTest';
import { Json } from './json';
import { AuditedRun, inventoryOfRun, RunInventory } from './leakInventory';
import { imageModelPackage } from './modelPackages';

export type Workload = 'training-pipeline' | 'batch-scoring';
export type Compute = 'hdinsight' | 'local-spark';
export type DeployTarget = 'aci' | 'aks' | 'local';
export type KillStage = 'provision' | 'copy' | 'train' | 'deploy' | 'teardown' | 'scoring';
export type Ending =
  'success' | 'cluster-create-fails' | 'batch-dies' | 'livy-forgets' | 'deploy-never-healthy' | 'cancel' | `kill-9-during-${KillStage}`;

export interface LeakCell {
  workload: Workload;
  compute: Compute;
  /** Training pipelines only: where the promoted model is deployed. */
  deploy?: DeployTarget;
  ending: Ending;
}

export interface CellResult {
  path: string;
  ending: Ending;
  resourcesCreated: number;
  leakedResources: number;
  leakedClusterMinutes: number;
  details: Json;
}

export const cellPath = (cell: LeakCell): string => [cell.workload, cell.compute, ...(cell.deploy ? [cell.deploy] : [])].join(' × ');

const cell = (workload: Workload, compute: Compute, deploy: DeployTarget | undefined, ending: Ending): LeakCell => ({
  workload,
  compute,
  deploy,
  ending,
});

/**
 * Every path that creates something and every way it can end. Cells on the Azure fakes play back Livy outcomes
 * (no Spark); the local-spark cells run real Spark. Endings that belong to one dimension run where that dimension
 * is exercised: cluster endings (create fails, a batch dies, Livy forgets, kill -9 in provision/copy/train/teardown)
 * on hdinsight × aci — the cluster is torn down in `finally` whatever the deploy target; deployment endings (success,
 * never healthy, kill -9 during deploy) on each deploy target.
 */
export const fullMatrix: LeakCell[] = [
  cell('training-pipeline', 'hdinsight', 'aci', 'success'),
  cell('training-pipeline', 'hdinsight', 'aci', 'cluster-create-fails'),
  cell('training-pipeline', 'hdinsight', 'aci', 'batch-dies'),
  cell('training-pipeline', 'hdinsight', 'aci', 'livy-forgets'),
  cell('training-pipeline', 'hdinsight', 'aci', 'deploy-never-healthy'),
  cell('training-pipeline', 'hdinsight', 'aci', 'cancel'),
  cell('training-pipeline', 'hdinsight', 'aci', 'kill-9-during-provision'),
  cell('training-pipeline', 'hdinsight', 'aci', 'kill-9-during-copy'),
  cell('training-pipeline', 'hdinsight', 'aci', 'kill-9-during-train'),
  cell('training-pipeline', 'hdinsight', 'aci', 'kill-9-during-deploy'),
  cell('training-pipeline', 'hdinsight', 'aci', 'kill-9-during-teardown'),
  cell('training-pipeline', 'hdinsight', 'aks', 'success'),
  cell('training-pipeline', 'hdinsight', 'aks', 'deploy-never-healthy'),
  cell('training-pipeline', 'hdinsight', 'aks', 'kill-9-during-deploy'),
  cell('training-pipeline', 'hdinsight', 'local', 'success'),
  cell('training-pipeline', 'hdinsight', 'local', 'kill-9-during-deploy'),
  cell('batch-scoring', 'hdinsight', undefined, 'success'),
  cell('batch-scoring', 'hdinsight', undefined, 'cluster-create-fails'),
  cell('batch-scoring', 'hdinsight', undefined, 'batch-dies'),
  cell('batch-scoring', 'hdinsight', undefined, 'livy-forgets'),
  cell('batch-scoring', 'hdinsight', undefined, 'cancel'),
  cell('batch-scoring', 'hdinsight', undefined, 'kill-9-during-provision'),
  cell('batch-scoring', 'hdinsight', undefined, 'kill-9-during-scoring'),
  cell('training-pipeline', 'local-spark', 'local', 'success'),
  cell('training-pipeline', 'local-spark', 'local', 'cancel'),
  cell('training-pipeline', 'local-spark', 'local', 'kill-9-during-train'),
  cell('batch-scoring', 'local-spark', undefined, 'success'),
  cell('batch-scoring', 'local-spark', undefined, 'cancel'),
];

/** The cells the jest test runs: every path and every kind of ending, within a few minutes on two cores. */
export const representativeMatrix: LeakCell[] = [
  cell('training-pipeline', 'hdinsight', 'aci', 'success'),
  cell('training-pipeline', 'hdinsight', 'aci', 'cluster-create-fails'),
  cell('training-pipeline', 'hdinsight', 'aci', 'batch-dies'),
  cell('training-pipeline', 'hdinsight', 'aci', 'livy-forgets'),
  cell('training-pipeline', 'hdinsight', 'aci', 'cancel'),
  cell('training-pipeline', 'hdinsight', 'aci', 'kill-9-during-train'),
  cell('training-pipeline', 'hdinsight', 'aci', 'kill-9-during-teardown'),
  cell('training-pipeline', 'hdinsight', 'aks', 'success'),
  cell('training-pipeline', 'hdinsight', 'local', 'kill-9-during-deploy'),
  cell('batch-scoring', 'hdinsight', undefined, 'success'),
  cell('batch-scoring', 'hdinsight', undefined, 'batch-dies'),
  cell('batch-scoring', 'hdinsight', undefined, 'cancel'),
  cell('batch-scoring', 'local-spark', undefined, 'cancel'),
];

/** How long the fakes take: long enough that a kill -9 can land inside each stage. */
const timings = { clusterProvisionMs: 4000, clusterDeleteMs: 3000, aciProvisionMs: 2500 };
/** Filler blobs that make the copy stage last long enough to be killed in. */
const copyFiller = 2500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * When a run ended: the end it recorded (the orchestrator's clock, to the millisecond), else the task hub's
 * `lastUpdatedTime`, which is cut to the whole second: an end up to a second early counts billing, never hides it.
 */
function runEnd(recorded: string | undefined, lastUpdated: string | undefined): number {
  return Date.parse(recorded ?? '') || Date.parse(lastUpdated ?? '') || Date.now();
}

/** The files a successful training batch leaves: a real model package, so that deployments really become healthy. */
function trainedFiles(): Record<string, Buffer> {
  const { runDir } = imageModelPackage();
  const files: Record<string, Buffer> = {};
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(runDir, rel), { withFileTypes: true })) {
      const name = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(name);
      else files[name] = fs.readFileSync(path.join(runDir, name));
    }
  };
  walk('model');
  files['metrics.json'] = fs.readFileSync(path.join(runDir, 'metrics.json'));
  files._SUCCESS = Buffer.alloc(0);
  return files;
}

/** What `batch_score` would write for `blobs`: one CSV of rows keyed by the path the job read. */
function predictionFiles(sourcePrefix: string, blobs: string[]): Record<string, string> {
  const labels = (JSON.parse(fs.readFileSync(path.join(imageModelPackage().packageDir, 'manifest.json'), 'utf8')) as { labels: string[] })
    .labels;
  const header = ['path', 'predictedLabel', ...labels.map((l) => `probability_${l}`), 'error'].join(',');
  const rows = blobs.map((b) =>
    [`wasbs://canopy@canopyclusters.blob.core.windows.net/${sourcePrefix}${b}`, labels[0], 1, ...labels.slice(1).map(() => 0), ''].join(
      ',',
    ),
  );
  return { 'predictions/part-00000.csv': [header, ...rows].join('\n'), _SUCCESS: '' };
}

/**
 * Runs leak-audit cells on one Canopy host: with the Azure fakes (ARM + HDInsight, Livy playing back outcomes,
 * Container Instances, AKS) or, for the local-spark cells, without them (batch scoring picks HDInsight wherever it
 * is configured). After each run: the inventory, and if anything of the run is still live, one reaper pass.
 */
export class LeakAudit {
  private constructor(
    readonly canopy: CanopyUnderTest,
    readonly fakes: AzureFakes | undefined,
    private readonly data: string,
  ) {}

  static async start(withFakes: boolean): Promise<LeakAudit> {
    const data = fashionSample();
    const fakes = withFakes
      ? await startAzureFakes({
          runner: 'recorded',
          aci: true,
          aks: { progressDeadlineMs: 20_000 },
          provisionMs: timings.clusterProvisionMs,
          deleteMs: timings.clusterDeleteMs,
          aciProvisionMs: timings.aciProvisionMs,
        })
      : undefined;
    try {
      const canopy = await CanopyUnderTest.start({ ...(fakes?.env ?? {}), CANOPY_POLL_SECONDS: '1' });
      return new LeakAudit(canopy, fakes, data);
    } catch (err) {
      await fakes?.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.canopy.stop();
    await this.fakes?.close();
  }

  async run(target: LeakCell): Promise<CellResult> {
    if ((target.compute === 'hdinsight') !== (this.fakes !== undefined))
      throw new Error(`${cellPath(target)} runs on a host ${target.compute === 'hdinsight' ? 'with' : 'without'} the Azure fakes`);
    const begun = Date.now();
    const run = target.workload === 'training-pipeline' ? await this.#pipeline(target) : await this.#batchScoring(target);
    let inventory = await inventoryOfRun(this.#sources(), run.audited);
    let reaperPass = false;
    if (inventory.leakedResources > 0) {
      reaperPass = true;
      const reaped = await this.reap();
      // The reaper begins deletes and confirms them on a later pass; what it begun must be gone shortly after.
      for (let i = 0; i < 20 && inventory.leakedResources > 0; i++) {
        await sleep(1000);
        inventory = await inventoryOfRun(this.#sources(), run.audited);
      }
      run.details.reaped = reaped.deleted ?? [];
    }
    return {
      path: cellPath(target),
      ending: target.ending,
      resourcesCreated: inventory.resourcesCreated,
      leakedResources: inventory.leakedResources,
      leakedClusterMinutes: inventory.leakedClusterMinutes,
      details: {
        instanceId: run.audited.instanceId,
        endedAt: new Date(run.audited.endedAt).toISOString(),
        ...run.details,
        reaperPassNeeded: reaperPass,
        seconds: Math.round((Date.now() - begun) / 100) / 10,
        resources: inventory.resources,
      },
    };
  }

  /** One pass of the reaper, as the timer or `POST /api/maintenance/reap` runs it. */
  async reap(): Promise<Json> {
    const res = await this.canopy.api('POST', 'maintenance/reap', undefined, this.canopy.host.masterKey);
    if (res.status !== 200) throw new Error(`reaper pass answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** The inventory of any run, for checks beyond the matrix (e.g. that a resource left behind is counted). */
  inventory(run: AuditedRun): Promise<RunInventory> {
    return inventoryOfRun(this.#sources(), run);
  }

  #sources() {
    return { fakes: this.fakes, localState: this.canopy.stateDir, clusterDeleteMs: timings.clusterDeleteMs };
  }

  async #pipeline(target: LeakCell): Promise<{ audited: AuditedRun; details: Json }> {
    const name = `leak-${randomUUID().slice(0, 8)}`;
    await uploadFolder('canopy-landing', `${name}/`, this.data);
    if (target.ending === 'kill-9-during-copy')
      await uploadBlobs(
        'canopy-landing',
        `${name}/filler/`,
        Array.from({ length: copyFiller }, (_, i) => ({ name: `${i}.txt`, content: Buffer.from(String(i)) })),
      );
    const spec = imageSpec(name, [{ type: 'logistic_regression', grid: { regParam: [0.01], maxIter: [50] } }], {
      compute:
        target.compute === 'hdinsight'
          ? { target: 'hdinsight', candidateTimeoutMinutes: 20, provisionTimeoutMinutes: 5 }
          : { target: 'local-spark', candidateTimeoutMinutes: 20 },
      deployment: { target: target.deploy, healthTimeoutMinutes: 1 },
    });
    const restore = this.#arrange(target, 'training');
    try {
      const started = await this.canopy.api('POST', 'runs', { spec });
      if (started.status !== 202) throw new Error(`start answered ${started.status}: ${JSON.stringify(started.body)}`);
      const instanceId = started.body.instanceId as string;
      const details: Json = {};
      const stageNow = async () => (await this.canopy.runView(name, instanceId).catch(() => undefined))?.orchestration?.customStatus;
      if (target.ending === 'cancel') {
        await this.canopy.waitFor(name, instanceId, (v) => v.orchestration?.customStatus?.candidates?.running > 0);
        const cancelled = await this.canopy.api('POST', `pipelines/${name}/runs/${instanceId}/cancel`);
        details.cancelAnswered = cancelled.status;
      }
      const kill = /^kill-9-during-(.+)$/.exec(target.ending)?.[1] as KillStage | undefined;
      if (kill)
        details.killedDuring = await this.#killDuring(
          kill,
          async () => (await stageNow())?.stage,
          () => this.#runningCandidates(stageNow),
        );
      if (kill === 'train' && this.fakes?.recorded) this.fakes.recorded.hold = false;
      const done = await this.canopy.waitForEnd(name, instanceId);
      const endedAt = runEnd((await (await stores()).runs.getPipelineRun(name, instanceId))?.endedAt, done.orchestration.lastUpdatedTime);
      const output = done.orchestration.output ?? {};
      Object.assign(details, {
        runtimeStatus: done.orchestration.runtimeStatus,
        pipelineStatus: output.pipelineStatus,
        error: output.error?.code,
        tornDown: output.tornDown,
        deployed: output.deployed ? true : undefined,
      });
      return { audited: { instanceId, model: name, clusterNames: [clusterName(instanceId)], endedAt }, details };
    } finally {
      restore();
    }
  }

  async #runningCandidates(stageNow: () => Promise<Json>): Promise<boolean> {
    return (await stageNow())?.candidates?.running > 0;
  }

  async #batchScoring(target: LeakCell): Promise<{ audited: AuditedRun; details: Json }> {
    const model = `leakbs-${randomUUID().slice(0, 8)}`;
    await registerImageModel(this.canopy, model, false);
    const prefix = `${model}/images/`;
    const images = await uploadTestImages(prefix, 20);
    const restore = this.#arrange(target, 'scoring', { prefix, blobs: images.map((i) => i.name) });
    try {
      const started = await this.canopy.api('POST', `models/${model}/batch-scoring`, {
        source: { container: 'canopy-batch', prefix },
        via: 'spark',
      });
      if (started.status !== 202) throw new Error(`start answered ${started.status}: ${JSON.stringify(started.body)}`);
      const id = started.body.instanceId as string;
      const details: Json = {};
      const view = async () => (await this.canopy.api('GET', `batch-scoring/${id}`).catch(() => undefined))?.body;
      if (target.ending === 'cancel') {
        await waitForBatch(this.canopy, id, (v) => ['provisioning', 'scoring'].includes(v.progress?.phase));
        details.cancelledDuring = (await view())?.progress?.phase;
        details.cancelAnswered = (await this.canopy.api('POST', `batch-scoring/${id}/cancel`)).status;
      }
      const kill = /^kill-9-during-(.+)$/.exec(target.ending)?.[1] as KillStage | undefined;
      if (kill)
        details.killedDuring = await this.#killDuring(
          kill,
          async () => {
            const phase = (await view())?.progress?.phase;
            return phase === 'provisioning' ? 'provision' : phase;
          },
          async () => (await view())?.progress?.phase === 'scoring',
        );
      if (kill && this.fakes?.recorded) this.fakes.recorded.hold = false;
      const done = await waitForBatch(this.canopy, id);
      const endedAt = runEnd(done.summary?.endedAt, done.lastUpdatedTime);
      Object.assign(details, { runtimeStatus: done.runtimeStatus, summaryStatus: done.summary?.status, error: done.summary?.error?.code });
      return { audited: { instanceId: id, clusterNames: [scoringClusterName(id)], endedAt }, details };
    } finally {
      restore();
    }
  }

  /**
   * Waits for the run to be in `stage` (polling fast: some stages last a few seconds), kills the host with SIGKILL,
   * and starts it again on the same state. Answers the stage the run was seen in just before the kill.
   */
  async #killDuring(stage: KillStage, current: () => Promise<string | undefined>, busy: () => Promise<boolean>): Promise<string> {
    const deadline = Date.now() + 5 * 60_000;
    for (;;) {
      const seen = await current();
      const inside = seen === stage && (stage !== 'train' && stage !== 'scoring' ? true : await busy());
      if (inside) {
        await this.canopy.host.kill();
        await sleep(1000);
        await this.canopy.restart();
        return seen;
      }
      if (Date.now() > deadline)
        throw new Error(`the run never reached ${stage} (last seen ${seen})\n${this.canopy.host.output().slice(-3000)}`);
      await sleep(100);
    }
  }

  /** Sets up the fakes for the cell's ending; answers what undoes it. */
  #arrange(target: LeakCell, kind: 'training' | 'scoring', scoring?: { prefix: string; blobs: string[] }): () => void {
    const fakes = this.fakes;
    if (!fakes) return () => undefined;
    const recorded = fakes.recorded!;
    const files = kind === 'training' ? trainedFiles() : predictionFiles(scoring!.prefix, scoring!.blobs);
    let restore: () => void = () => undefined;
    switch (target.ending) {
      case 'cluster-create-fails':
        fakes.arm.faults.failNextCreate('Microsoft.HDInsight/clusters', {
          code: 'InsufficientCores',
          message: 'The subscription has 8 cores left in eastus; 28 are needed.',
        });
        return restore;
      case 'batch-dies':
        recorded.next({ ends: 'dead', log: ['Traceback (most recent call last):', 'MemoryError: the executor was lost'] });
        return restore;
      case 'livy-forgets':
        fakes.livy.retainFinishedBatchesFor(0);
        restore = () => fakes.livy.retainFinishedBatchesFor(600_000);
        break;
      case 'deploy-never-healthy':
        if (target.deploy === 'aci') fakes.aci!.injectContainerFault('never-healthy');
        else fakes.kube!.neverReady();
        break;
      case 'cancel':
      case 'kill-9-during-train':
      case 'kill-9-during-scoring':
        recorded.hold = true;
        restore = () => {
          recorded.hold = false;
        };
        break;
      default:
        break;
    }
    recorded.next({ files });
    return restore;
  }
}

/** The audit's totals over its cells. */
export function leakTotals(results: CellResult[]): { leakedResources: number; leakedClusterMinutes: number; resourcesCreated: number } {
  return {
    resourcesCreated: results.reduce((s, r) => s + r.resourcesCreated, 0),
    leakedResources: results.reduce((s, r) => s + r.leakedResources, 0),
    leakedClusterMinutes: Math.round(results.reduce((s, r) => s + r.leakedClusterMinutes, 0) * 1000) / 1000,
  };
}
