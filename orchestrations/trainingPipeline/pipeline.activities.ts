import { Candidate } from '../../shared/domain/candidateGrid';
import { clusterCostPerHour, costOf, PriceTable } from '../../shared/domain/cost';
import { clusterName, deploymentName } from '../../shared/domain/naming';
import { PipelineSpec } from '../../shared/domain/pipelineSpec';
import { decidePromotion, metricValue, rankCandidates } from '../../shared/domain/selection';
import { supersededDeployments } from '../../shared/domain/supersededDeployments';
import { splitForNewDeployment } from '../../shared/domain/trafficSplit';
import { BlobCopier } from '../../shared/ports/blobCopier';
import { BlobStore } from '../../shared/ports/blobStore';
import { Clock } from '../../shared/ports/clock';
import { ComputeTarget } from '../../shared/ports/computeTarget';
import { Deployer } from '../../shared/ports/deployer';
import { canopyTags } from '../../shared/ports/resourceInventory';
import { ModelRegistry } from '../../shared/ports/modelRegistry';
import { ResourceLedger } from '../../shared/ports/resourceLedger';
import { CandidateRun, RunStore } from '../../shared/ports/runStore';
import {
  activities,
  CandidateJob,
  CopyPageResult,
  Failure,
  PipelineInput,
  PipelineSummary,
  ProvisionResult,
  RegisteredModel,
  RunContext,
  SelectionResult,
  Tagged,
} from './contracts';

export interface PipelineDeps {
  blobs: BlobStore;
  runs: RunStore;
  registry: ModelRegistry;
  ledger: ResourceLedger;
  compute(kind: PipelineSpec['compute']['target']): ComputeTarget;
  deployer(kind: PipelineSpec['deployment']['target']): Deployer;
  copier(connection?: string): BlobCopier;
  clock: Clock;
  prices: PriceTable;
}

/** A deployment's ledger expiry: it serves traffic until superseded, however long that is. */
const deploymentsNeverExpire = '9999-12-31T23:59:59.999Z';

const copyConcurrency = 16;
const copyPageSize = 500;
const maxMessage = 2000;

const fail = (code: string, message: string): Failure => ({ ok: false, code, message: message.slice(0, maxMessage) });

/** Where a run's copy of the data lives: one snapshot per run, the lineage of its models. */
export function dataSnapshot(run: RunContext): { container: string; prefix: string } {
  const working = run.spec.data.working;
  return { container: working.container, prefix: `${working.prefix}${run.pipeline}/${run.instanceId}/data/` };
}

/** Where a tabular run's ETL writes the features every candidate trains on. */
export function etlOutput(run: RunContext): { container: string; prefix: string } {
  const artifacts = run.spec.data.artifacts;
  return { container: artifacts.container, prefix: `${artifacts.prefix}${run.pipeline}/${run.instanceId}/etl/` };
}

function trainingInput(run: RunContext): { container: string; prefix: string } {
  return run.spec.scenario === 'tabular-classification' ? etlOutput(run) : dataSnapshot(run);
}

export function candidateOutput(run: RunContext, candidateId: string): { container: string; prefix: string } {
  const artifacts = run.spec.data.artifacts;
  return { container: artifacts.container, prefix: `${artifacts.prefix}${run.pipeline}/${run.instanceId}/${candidateId}/` };
}

export async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  });
  await Promise.all(workers);
}

/** The training pipeline's activities, built from ports; each is idempotent. */
export function createActivities(deps: PipelineDeps) {
  const { blobs, runs, registry, ledger, clock } = deps;
  const jobName = (spec: PipelineSpec) => (spec.scenario === 'image-classification' ? 'image_train' : 'workload_train');

  return {
    async [activities.recordRunStart]({
      run,
      input,
      startedAt,
      candidates,
    }: {
      run: RunContext;
      input: Omit<PipelineInput, 'spec'>;
      startedAt: string;
      candidates: number;
    }): Promise<void> {
      const existing = await runs.getPipelineRun(run.pipeline, run.instanceId);
      if (existing) return;
      await runs.upsertPipelineRun({
        pipeline: run.pipeline,
        instanceId: run.instanceId,
        specVersion: input.specVersion,
        dataVersion: input.dataVersion,
        trigger: input.trigger,
        status: 'running',
        stage: 'validate',
        startedAt,
        stageSeconds: {},
        candidates: { total: candidates, succeeded: 0, failed: 0 },
        costUsd: 0,
      });
    },

    async [activities.checkInputData](run: RunContext): Promise<Tagged<{ blobs: number }>> {
      const { container, prefix } = run.spec.data.source;
      const source = run.spec.data.source;
      if (run.spec.scenario === 'image-classification') {
        for (const split of ['train', 'test']) {
          const page = await blobs.list(container, `${prefix}${split}/`, { pageSize: 1 });
          if (page.items.length === 0)
            return fail('DATA.MISSING', `no images under ${source.container}/${prefix}${split}/ (expected ${split}/<label>/<image>)`);
        }
      }
      const page = await blobs.list(container, prefix, { pageSize: 1 });
      if (page.items.length === 0) return fail('DATA.EMPTY', `no data under ${container}/${prefix}`);
      return { ok: true, blobs: page.items.length };
    },

    async [activities.beginProvision]({ run, now }: { run: RunContext; now: string }): Promise<Tagged<ProvisionResult>> {
      const spec = run.spec.compute;
      const cluster = spec.existingCluster ?? clusterName(run.instanceId);
      const owned = !spec.existingCluster;
      const ledgerId = `cluster:${spec.target}:${cluster}`;
      const expiresAt = new Date(new Date(now).getTime() + spec.maxLifetimeMinutes * 60_000).toISOString();
      // Recorded before the create: even if this process dies right after, the reaper finds it.
      await ledger.record({
        id: ledgerId,
        kind: 'cluster',
        name: cluster,
        target: spec.target,
        pipeline: run.pipeline,
        instanceId: run.instanceId,
        createdAt: now,
        expiresAt,
        owned,
      });
      if (!owned) return { ok: true, cluster, ledgerId, owned };
      try {
        await deps.compute(spec.target).beginCreateCluster({
          name: cluster,
          headVmSize: spec.headVmSize,
          workerVmSize: spec.workerVmSize,
          workerNodes: spec.workerNodes,
          tags: { 'canopy-pipeline': run.pipeline, 'canopy-instance': run.instanceId, 'canopy-expires-at': expiresAt },
        });
        return { ok: true, cluster, ledgerId, owned };
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (typeof code === 'string' && /^(COMPUTE|CONFIG)\./.test(code))
          return { ok: true, cluster, ledgerId, owned, error: { code, message: (err as Error).message } };
        throw err;
      }
    },

    async [activities.getClusterState]({
      run,
      cluster,
    }: {
      run: RunContext;
      cluster: string;
    }): Promise<Tagged<{ state: string; error?: string }>> {
      const status = await deps.compute(run.spec.compute.target).getCluster(cluster);
      return { ok: true, state: status?.state ?? 'deleted', error: status?.error };
    },

    async [activities.copyDataPage]({ run, continuation }: { run: RunContext; continuation?: string }): Promise<Tagged<CopyPageResult>> {
      const source = run.spec.data.source;
      let copier: BlobCopier;
      try {
        copier = deps.copier(source.connection);
      } catch (err) {
        return fail((err as { code?: string }).code ?? 'DATA.UNKNOWN_CONNECTION', (err as Error).message);
      }
      const page = await copier.copyPage({
        source: { container: source.container, prefix: source.prefix },
        target: dataSnapshot(run),
        continuation,
        pageSize: copyPageSize,
        concurrency: copyConcurrency,
        // Markers such as `_READY` start runs; they are not data.
        include: (relative) => !relative.split('/').pop()?.startsWith('_'),
      });
      const failures = page.failures.slice(0, 10).map((f) => `${f.name} (${f.reason})`);
      return { ok: true, copied: page.copied, skipped: page.skipped, failed: page.failed, failures, next: page.next };
    },

    async [activities.submitEtl]({ run, cluster }: { run: RunContext; cluster: string }): Promise<Tagged<{ batchId: string }>> {
      try {
        const { batchId } = await deps
          .compute(run.spec.compute.target)
          .submitBatch(cluster, { name: 'etl', job: 'workload_etl', input: dataSnapshot(run), output: etlOutput(run), args: [] });
        return { ok: true, batchId };
      } catch (err) {
        return fail('ETL.SUBMIT_FAILED', (err as Error).message);
      }
    },

    async [activities.submitCandidate]({
      run,
      cluster,
      candidate,
    }: {
      run: RunContext;
      cluster: string;
      candidate: Candidate;
    }): Promise<Tagged<{ batchId: string }>> {
      const spec = run.spec;
      const output = candidateOutput(run, candidate.id);
      const record: CandidateRun = {
        pipeline: run.pipeline,
        instanceId: run.instanceId,
        candidateId: candidate.id,
        featurizer: candidate.featurizer,
        classifier: candidate.classifier,
        params: candidate.params,
        status: 'running',
        startedAt: clock.now().toISOString(),
        artifacts: { output: blobs.url({ container: output.container, name: output.prefix }) },
      };
      try {
        const { batchId } = await deps.compute(spec.compute.target).submitBatch(cluster, {
          name: candidate.id,
          job: jobName(spec),
          input: trainingInput(run),
          output,
          featurizer: spec.scenario === 'image-classification' ? candidate.featurizer : undefined,
          args: [
            '--classifier',
            candidate.classifier,
            '--params',
            JSON.stringify(candidate.params),
            '--sample-fraction',
            String(spec.sampleFraction),
            '--seed',
            String(spec.seed),
          ],
        });
        const existing = await runs.getCandidateRun(run.pipeline, run.instanceId, candidate.id);
        await runs.upsertCandidateRun({ ...record, startedAt: existing?.startedAt ?? record.startedAt, batchId });
        return { ok: true, batchId };
      } catch (err) {
        const message = (err as Error).message;
        await runs.upsertCandidateRun({
          ...record,
          status: 'failed',
          endedAt: clock.now().toISOString(),
          error: { code: 'TRAIN.SUBMIT_FAILED', message },
        });
        return fail('TRAIN.SUBMIT_FAILED', message);
      }
    },

    async [activities.getCandidateState]({
      run,
      cluster,
      batchId,
    }: {
      run: RunContext;
      cluster: string;
      batchId: string;
    }): Promise<{ state: string; log?: string }> {
      const status = await deps.compute(run.spec.compute.target).getBatch(cluster, batchId);
      return status ?? { state: 'dead', log: `batch ${batchId} is unknown to the compute target` };
    },

    async [activities.collectCandidate]({
      run,
      job,
      endedAt,
      costPerHour,
    }: {
      run: RunContext;
      job: CandidateJob;
      endedAt: string;
      costPerHour: number;
    }): Promise<Tagged<{ accuracy: number }>> {
      const output = candidateOutput(run, job.candidate.id);
      const compute = deps.compute(run.spec.compute.target);
      const metricsText = await blobs.get(compute.outputRef({ output }, 'metrics.json'));
      const success = await blobs.getInfo(compute.outputRef({ output }, '_SUCCESS'));
      const existing = await runs.getCandidateRun(run.pipeline, run.instanceId, job.candidate.id);
      const durationSeconds = Math.max(0, (new Date(endedAt).getTime() - new Date(job.submittedAt).getTime()) / 1000);
      const base: CandidateRun = existing ?? {
        pipeline: run.pipeline,
        instanceId: run.instanceId,
        candidateId: job.candidate.id,
        featurizer: job.candidate.featurizer,
        classifier: job.candidate.classifier,
        params: job.candidate.params,
        status: 'running',
        batchId: job.batchId,
      };
      if (!metricsText || !success) {
        await runs.upsertCandidateRun({
          ...base,
          status: 'failed',
          endedAt,
          durationSeconds,
          error: { code: 'TRAIN.NO_OUTPUT', message: 'the batch succeeded but left no metrics.json and _SUCCESS' },
        });
        return fail('TRAIN.NO_OUTPUT', `candidate ${job.candidate.id} left no metrics`);
      }
      const metrics = JSON.parse(metricsText.toString('utf8')) as CandidateRun['metrics'] & { accuracy: number };
      await runs.upsertCandidateRun({
        ...base,
        status: 'succeeded',
        metrics,
        endedAt,
        durationSeconds,
        costUsd: costOf(costPerHour / Math.max(1, run.spec.candidates.maxConcurrent), durationSeconds),
        artifacts: {
          output: blobs.url({ container: output.container, name: output.prefix }),
          metrics: blobs.url(compute.outputRef({ output }, 'metrics.json')),
          model: blobs.url(compute.outputRef({ output }, 'model/')),
        },
      });
      return { ok: true, accuracy: metrics.accuracy };
    },

    async [activities.recordCandidateFailure]({
      run,
      job,
      cluster,
      code,
      message,
      kill,
    }: {
      run: RunContext;
      job: CandidateJob;
      cluster: string;
      code: string;
      message: string;
      kill: boolean;
    }): Promise<void> {
      if (kill) await deps.compute(run.spec.compute.target).killBatch(cluster, job.batchId);
      const existing = await runs.getCandidateRun(run.pipeline, run.instanceId, job.candidate.id);
      const endedAt = clock.now().toISOString();
      await runs.upsertCandidateRun({
        ...(existing ?? {
          pipeline: run.pipeline,
          instanceId: run.instanceId,
          candidateId: job.candidate.id,
          featurizer: job.candidate.featurizer,
          classifier: job.candidate.classifier,
          params: job.candidate.params,
          batchId: job.batchId,
        }),
        status: 'failed',
        endedAt,
        durationSeconds: (new Date(endedAt).getTime() - new Date(job.submittedAt).getTime()) / 1000,
        error: { code, message: message.slice(-maxMessage) },
      });
    },

    async [activities.selectModel](run: RunContext): Promise<Tagged<SelectionResult>> {
      const metric = run.spec.selection.metric;
      const succeeded = (await runs.listCandidateRuns(run.pipeline, run.instanceId)).filter((c) => c.status === 'succeeded' && c.metrics);
      const ranked = rankCandidates(
        metric,
        succeeded.map((c) => ({ candidateId: c.candidateId, metrics: c.metrics!, trainSeconds: c.durationSeconds ?? 0 })),
      );
      if (ranked.length === 0) return fail('SELECT.NO_CANDIDATE', `no candidate has a finite ${metric}`);
      const winner = succeeded.find((c) => c.candidateId === ranked[0].candidateId)!;
      const value = metricValue(metric, winner.metrics!);
      const production = await registry.getProduction(run.pipeline);
      const decision = decidePromotion(
        metric,
        run.spec.selection.minImprovement,
        { version: `run ${run.instanceId}`, value },
        production ? { version: `v${production.version}`, value: metricValue(metric, production.metrics) } : undefined,
      );
      return {
        ok: true,
        best: { candidateId: winner.candidateId, classifier: winner.classifier, featurizer: winner.featurizer, metric, value },
        promote: decision.promote,
        reason: decision.reason,
      };
    },

    async [activities.registerModel]({
      run,
      best,
      specVersion,
      dataVersion,
    }: {
      run: RunContext;
      best: SelectionResult['best'];
      specVersion: number;
      dataVersion: string;
    }): Promise<Tagged<RegisteredModel>> {
      const candidate = await runs.getCandidateRun(run.pipeline, run.instanceId, best.candidateId);
      if (!candidate?.metrics) return fail('REGISTER.NO_CANDIDATE', `candidate ${best.candidateId} has no recorded metrics`);
      const output = candidateOutput(run, best.candidateId);
      const manifestText = await blobs.get({ container: output.container, name: `${output.prefix}model/manifest.json` });
      if (!manifestText) return fail('REGISTER.NO_PACKAGE', `candidate ${best.candidateId} has no model package`);
      const manifest = JSON.parse(manifestText.toString('utf8')) as { lineage?: { jobCodeSha256?: string } };
      const snapshot = dataSnapshot(run);
      const version = await registry.createVersion(
        run.pipeline,
        {
          packageUri: blobs.url({ container: output.container, name: `${output.prefix}model/` }),
          metrics: candidate.metrics,
          lineage: {
            pipeline: run.pipeline,
            instanceId: run.instanceId,
            candidateId: candidate.candidateId,
            classifier: candidate.classifier,
            featurizer: candidate.featurizer,
            params: candidate.params,
            specVersion,
            dataSnapshot: `${blobs.url({ container: snapshot.container, name: snapshot.prefix })} (data version ${dataVersion})`,
            jobCodeSha256: manifest.lineage?.jobCodeSha256,
          },
        },
        clock.now(),
      );
      return { ok: true, model: version.model, version: version.version, packageUri: version.packageUri };
    },

    async [activities.beginDeploy]({ run, model }: { run: RunContext; model: RegisteredModel }): Promise<Tagged<{ name: string }>> {
      const name = deploymentName(model.model, model.version);
      const spec = run.spec.deployment;
      const now = clock.now().toISOString();
      const existing = await registry.getDeployment(model.model, name);
      await registry.upsertDeployment({
        model: model.model,
        name,
        version: model.version,
        target: spec.target,
        state: 'creating',
        trafficPercent: 0,
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
      });
      // Recorded before the create, like clusters; a deployment outlives its run, so it never expires — the reaper
      // deletes it once no model serves it and its run is over.
      await ledger.record({
        id: `deployment:${spec.target}:${name}`,
        kind: 'deployment',
        name,
        target: spec.target,
        pipeline: run.pipeline,
        instanceId: run.instanceId,
        createdAt: existing?.createdAt ?? now,
        expiresAt: deploymentsNeverExpire,
        owned: true,
      });
      await deps.deployer(spec.target).beginDeploy({
        name,
        model: model.model,
        version: model.version,
        packageUri: model.packageUri,
        cpu: spec.cpu,
        memoryGb: spec.memoryGb,
        tags: {
          [canopyTags.pipeline]: run.pipeline,
          [canopyTags.instance]: run.instanceId,
          [canopyTags.kind]: 'deployment',
        },
      });
      return { ok: true, name };
    },

    async [activities.getDeploymentState]({
      run,
      name,
    }: {
      run: RunContext;
      name: string;
    }): Promise<Tagged<{ state: string; endpoint?: string; error?: string }>> {
      const status = await deps.deployer(run.spec.deployment.target).getDeployment(name);
      return {
        ok: true,
        state: status?.state ?? 'failed',
        endpoint: status?.endpoint,
        error: status?.error ?? (status ? undefined : `deployment ${name} does not exist`),
      };
    },

    async [activities.smokeTestDeployment]({
      run,
      endpoint,
    }: {
      run: RunContext;
      endpoint: string;
    }): Promise<Tagged<{ label: string; expected?: string }>> {
      if (run.spec.scenario === 'tabular-classification') return smokeTestTabular(endpoint);
      const snapshot = dataSnapshot(run);
      const sample = (await blobs.list(snapshot.container, `${snapshot.prefix}test/`, { pageSize: 1 })).items[0];
      if (!sample) return fail('DEPLOY.NO_SAMPLE', 'no test image to smoke-test the deployment with');
      const image = await blobs.get({ container: snapshot.container, name: sample.name });
      const expected = sample.name.slice(`${snapshot.prefix}test/`.length).split('/')[0];
      const res = await fetch(`${endpoint}/score`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ images: [image?.toString('base64')] }),
        signal: AbortSignal.timeout(30_000),
      });
      if (!res.ok) return fail('DEPLOY.SMOKE_TEST_FAILED', `POST ${endpoint}/score answered ${res.status}: ${await res.text()}`);
      const body = (await res.json()) as { predictions?: { label: string }[] };
      const label = body.predictions?.[0]?.label;
      if (!label) return fail('DEPLOY.SMOKE_TEST_FAILED', `POST ${endpoint}/score returned no label`);
      return { ok: true, label, expected };
    },

    async [activities.switchTraffic]({
      run,
      model,
      name,
      endpoint,
    }: {
      run: RunContext;
      model: RegisteredModel;
      name: string;
      endpoint: string;
    }): Promise<Tagged<{ previous?: number; canary: boolean }>> {
      const now = clock.now();
      const current = await registry.getDeployment(model.model, name);
      const newcomer = {
        ...(current ?? {
          model: model.model,
          name,
          version: model.version,
          target: 'local',
          createdAt: now.toISOString(),
          trafficPercent: 0,
        }),
        state: 'healthy' as const,
        endpoint,
        updatedAt: now.toISOString(),
      };
      await registry.upsertDeployment(newcomer);
      const production = await registry.getProduction(model.model);
      const deployments = await registry.listDeployments(model.model);
      // A canary share leaves the version staging and production keeping the rest until someone promotes it;
      // a re-run of this activity finds the same production version and computes the same split.
      const { split, canary } = splitForNewDeployment(
        deployments,
        name,
        production?.version === model.version ? undefined : production?.version,
        run.spec.deployment.canaryPercent,
      );
      const previous = canary ? undefined : (await registry.promote(model.model, model.version, now)).previous;
      // The previous versions stay deployed, without traffic, for a rollback.
      for (const d of deployments) {
        if (d.trafficPercent !== split[d.name])
          await registry.upsertDeployment({ ...d, trafficPercent: split[d.name], updatedAt: now.toISOString() });
      }
      return { ok: true, previous, canary };
    },

    async [activities.deleteDeployment]({ run, model, name }: { run: RunContext; model: RegisteredModel; name: string }): Promise<void> {
      await deps.deployer(run.spec.deployment.target).delete(name);
      await ledger.markDeleted(`deployment:${run.spec.deployment.target}:${name}`, clock.now());
      const current = await registry.getDeployment(model.model, name);
      if (current)
        await registry.upsertDeployment({ ...current, state: 'deleted', trafficPercent: 0, updatedAt: clock.now().toISOString() });
    },

    async [activities.pruneDeployments]({ model }: { run: RunContext; model: RegisteredModel }): Promise<Tagged<{ deleted: string[] }>> {
      // The new version already serves: a deployment that cannot be deleted now is reported, never failing the run
      // (the next promotion, or the reaper, tries again).
      const deleted: string[] = [];
      try {
        const production = await registry.getProduction(model.model);
        for (const d of supersededDeployments(await registry.listDeployments(model.model), production?.version)) {
          await deps.deployer(d.target as PipelineSpec['deployment']['target']).delete(d.name);
          await ledger.markDeleted(`deployment:${d.target}:${d.name}`, clock.now());
          await registry.upsertDeployment({ ...d, state: 'deleted', trafficPercent: 0, updatedAt: clock.now().toISOString() });
          deleted.push(d.name);
        }
        return { ok: true, deleted };
      } catch (err) {
        return fail('DEPLOY.PRUNE_FAILED', `deleted ${deleted.join(', ') || 'nothing'}, then: ${(err as Error).message}`);
      }
    },

    async [activities.beginTeardown]({ run, cluster, batchIds }: { run: RunContext; cluster: string; batchIds: string[] }): Promise<void> {
      const compute = deps.compute(run.spec.compute.target);
      for (const batchId of batchIds) await compute.killBatch(cluster, batchId);
      await compute.beginDeleteCluster(cluster);
    },

    async [activities.keepClusterUntilExpiry]({ ledgerId }: { run: RunContext; ledgerId: string }): Promise<void> {
      await ledger.keepUntilExpiry(ledgerId);
    },

    async [activities.markTornDown]({ ledgerId }: { run: RunContext; ledgerId: string }): Promise<void> {
      await ledger.markDeleted(ledgerId, clock.now());
    },

    async [activities.recordRunEnd]({
      run,
      summary,
      endedAt,
      costUsd,
      nodeMinutes,
    }: {
      run: RunContext;
      summary: PipelineSummary;
      endedAt: string;
      costUsd: number;
      nodeMinutes?: number;
    }): Promise<void> {
      const existing = await runs.getPipelineRun(run.pipeline, run.instanceId);
      if (!existing) return;
      await runs.upsertPipelineRun({
        ...existing,
        status: summary.pipelineStatus,
        stage: 'done',
        endedAt,
        stageSeconds: summary.stageSeconds,
        candidates: summary.candidates,
        best: summary.best,
        decision: summary.decision,
        deployment: summary.deployed ? { name: summary.deployed.name, endpoint: summary.deployed.endpoint } : undefined,
        costUsd,
        nodeMinutes,
        tornDown: summary.tornDown,
        error: summary.error,
      });
    },
  };
}

/** A tabular model is asked about a row of neutral values built from the inputs its /metadata lists. */
async function smokeTestTabular(endpoint: string): Promise<Tagged<{ label: string }>> {
  const meta = await fetch(`${endpoint}/metadata`, { signal: AbortSignal.timeout(30_000) });
  if (!meta.ok) return fail('DEPLOY.SMOKE_TEST_FAILED', `GET ${endpoint}/metadata answered ${meta.status}`);
  const { inputs } = (await meta.json()) as { inputs: { name: string; dtype: string }[] };
  const row = Object.fromEntries(inputs.map((i) => [i.name, i.dtype === 'string' ? '' : 0]));
  const res = await fetch(`${endpoint}/score`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ rows: [row] }),
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) return fail('DEPLOY.SMOKE_TEST_FAILED', `POST ${endpoint}/score answered ${res.status}: ${await res.text()}`);
  const label = ((await res.json()) as { predictions?: { label: string }[] }).predictions?.[0]?.label;
  return label ? { ok: true, label } : fail('DEPLOY.SMOKE_TEST_FAILED', `POST ${endpoint}/score returned no label`);
}

/** HDInsight Spark clusters always have two head nodes. */
const headNodes = 2;

/** Estimated cost rate of a spec's compute, for the run's status; an attached cluster is not the run's to pay for. */
export function computeCostPerHour(spec: PipelineSpec, prices: PriceTable): number {
  if (computeNodes(spec) === 0) return 0;
  return clusterCostPerHour(
    { headVmSize: spec.compute.headVmSize, headNodes, workerVmSize: spec.compute.workerVmSize, workerNodes: spec.compute.workerNodes },
    prices,
  );
}

/** Nodes a run's own cluster bills for. */
export function computeNodes(spec: PipelineSpec): number {
  if (spec.compute.target === 'local-spark' || spec.compute.existingCluster) return 0;
  return headNodes + spec.compute.workerNodes;
}

export type PipelineActivities = ReturnType<typeof createActivities>;
