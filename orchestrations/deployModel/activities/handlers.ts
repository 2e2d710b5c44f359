import { Composition } from '../../../shared/composition';
import { deploymentName } from '../../../shared/domain/naming';
import { DeploymentTargetKind } from '../../../shared/domain/pipelineSpec';
import { canopyResourceTags } from '../../../shared/domain/resourceTags';
import { dataSnapshot } from '../../../shared/domain/runLocations';
import { supersededDeployments } from '../../../shared/domain/supersededDeployments';
import { switchToNewDeployment } from '../../../shared/usecases/traffic';
import { failure, HandlersOf } from '../../durable/contract';
import { specOf } from '../../hosting/runSpec';
import { deployActivities } from '../contracts';
import { smokeTestImage, smokeTestTabular } from './smokeTest';

/** A deployment's ledger expiry: it serves traffic until superseded, however long that is. */
const deploymentsNeverExpire = '9999-12-31T23:59:59.999Z';

const ledgerIdOf = (target: string, name: string): string => `deployment:${target}:${name}`;

export function createDeployActivities({
  specs,
  registry,
  ledger,
  deployer,
  blobs,
  clock,
}: Pick<Composition, 'specs' | 'registry' | 'ledger' | 'deployer' | 'blobs' | 'clock'>): HandlersOf<typeof deployActivities> {
  return {
    async beginDeploy({ run, model }) {
      const spec = (await specOf(specs, run)).deployment;
      const name = deploymentName(model.model, model.version);
      const now = clock.now().toISOString();
      const existing = await registry.getDeployment(model.model, name);
      const createdAt = existing?.createdAt ?? now;
      await registry.upsertDeployment({
        model: model.model,
        name,
        version: model.version,
        target: spec.target,
        state: 'creating',
        trafficPercent: 0,
        createdAt,
        updatedAt: now,
      });
      // Recorded before the create, like clusters; a deployment outlives its run, so it never expires — the reaper
      // deletes it once no model serves it and its run is over.
      await ledger.record({
        id: ledgerIdOf(spec.target, name),
        kind: 'deployment',
        name,
        target: spec.target,
        pipeline: run.pipeline,
        instanceId: run.instanceId,
        createdAt,
        expiresAt: deploymentsNeverExpire,
        owned: true,
      });
      await deployer(spec.target).beginDeploy({
        name,
        model: model.model,
        version: model.version,
        packageUri: model.packageUri,
        cpu: spec.cpu,
        memoryGb: spec.memoryGb,
        tags: canopyResourceTags({ pipeline: run.pipeline, instanceId: run.instanceId, kind: 'deployment' }),
      });
      return { ok: true, name };
    },

    async getDeploymentState({ target, name }) {
      const status = await deployer(target).getDeployment(name);
      if (!status) return { ok: true, state: 'failed', error: `deployment ${name} does not exist` };
      return { ok: true, state: status.state, endpoint: status.endpoint, error: status.error };
    },

    async smokeTest({ run, endpoint }) {
      const spec = await specOf(specs, run);
      if (spec.scenario === 'tabular-classification') return smokeTestTabular(endpoint);
      return smokeTestImage(endpoint, blobs, dataSnapshot(run, spec));
    },

    async switchTraffic({ run, model, name, endpoint }) {
      const spec = (await specOf(specs, run)).deployment;
      const switched = await switchToNewDeployment(
        { registry, clock },
        { model: model.model, version: model.version, name, endpoint, target: spec.target, canaryPercent: spec.canaryPercent },
      );
      return { ok: true, ...switched };
    },

    async pruneSuperseded({ model }) {
      // The new version already serves: a deployment that cannot be deleted now is reported, never failing the run
      // (the next promotion, or the reaper, tries again).
      const deleted: string[] = [];
      try {
        const production = await registry.getProduction(model.model);
        for (const d of supersededDeployments(await registry.listDeployments(model.model), production?.version)) {
          await deployer(d.target as DeploymentTargetKind).delete(d.name);
          await ledger.markDeleted(ledgerIdOf(d.target, d.name), clock.now());
          await registry.upsertDeployment({ ...d, state: 'deleted', trafficPercent: 0, updatedAt: clock.now().toISOString() });
          deleted.push(d.name);
        }
        return { ok: true, deleted };
      } catch (err) {
        return failure('DEPLOY.PRUNE_FAILED', `deleted ${deleted.join(', ') || 'nothing'}, then: ${(err as Error).message}`);
      }
    },

    async deleteDeployment({ run, model, name }) {
      const target = (await specOf(specs, run)).deployment.target;
      await deployer(target).delete(name);
      await ledger.markDeleted(ledgerIdOf(target, name), clock.now());
      const current = await registry.getDeployment(model.model, name);
      if (current)
        await registry.upsertDeployment({ ...current, state: 'deleted', trafficPercent: 0, updatedAt: clock.now().toISOString() });
      return { ok: true };
    },
  };
}
