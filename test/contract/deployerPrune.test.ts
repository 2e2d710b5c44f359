import { randomUUID } from 'node:crypto';
import { createDeployActivities } from '../../orchestrations/deployModel/activities/handlers';
import { CosmosModelRegistry } from '../../shared/adapters/azure/cosmosModelRegistry';
import { CosmosResourceLedger } from '../../shared/adapters/azure/cosmosResourceLedger';
import { openCanopyContainers } from '../../shared/adapters/azure/cosmosSchema';
import { systemClock } from '../../shared/ports/clock';
import { registerTestVersion } from '../support/modelVersions';
import { testCosmosClient } from '../support/testStack';
import { startAciFakes } from './aciFakes';
import { waitForDeployment } from './deployer.contract';

// pruneDeployments after a promotion: the real registry and ledger (Cosmos emulator), ACI container groups on the ARM fake.
const cosmos = testCosmosClient();

describe('pruneDeployments', () => {
  let fakes: Awaited<ReturnType<typeof startAciFakes>>;
  beforeAll(async () => {
    fakes = await startAciFakes();
  });
  afterAll(() => fakes.close());

  it('deletes the container groups of versions older than the rollback one, and marks them deleted', async () => {
    const containers = await openCanopyContainers(cosmos, `prune-${randomUUID().slice(0, 8)}`);
    const registry = new CosmosModelRegistry(containers.models);
    const ledger = new CosmosResourceLedger(containers.ledger);
    const unused = () => {
      throw new Error('not used here');
    };
    const act = createDeployActivities({
      blobs: undefined as never,
      specs: undefined as never,
      registry,
      ledger,
      deployer: (kind) => (kind === 'aci' ? fakes.deployer : unused()),
      clock: systemClock,
    });
    const now = new Date().toISOString();
    for (const version of [1, 2, 3, 4]) {
      const name = `canopy-prune-v${version}`;
      // No container needs to answer here: each group just has to exist until it is deleted.
      fakes.aci.injectContainerFault('never-healthy');
      await fakes.deployer.beginDeploy({ name, model: 'prune', version, packageUri: 'file:///p', cpu: 1, memoryGb: 1 });
      await registerTestVersion(registry, 'prune', `prune--${version}`, 'file:///p');
      await registry.upsertDeployment({
        model: 'prune',
        name,
        version,
        target: 'aci',
        state: version === 2 ? 'failed' : 'healthy',
        trafficPercent: version === 4 ? 100 : 0,
        createdAt: now,
        updatedAt: now,
      });
    }
    await registry.promote('prune', 4, new Date());

    const model = { model: 'prune', version: 4, packageUri: 'file:///p' };
    expect(await act.pruneSuperseded({ model })).toEqual({ ok: true, deleted: ['canopy-prune-v2', 'canopy-prune-v1'] });
    for (const gone of ['canopy-prune-v1', 'canopy-prune-v2'])
      expect(await waitForDeployment(fakes.deployer, gone, (s) => s === undefined)).toBeUndefined();
    for (const kept of ['canopy-prune-v3', 'canopy-prune-v4']) expect(await fakes.deployer.getDeployment(kept)).toBeDefined();
    const states = Object.fromEntries((await registry.listDeployments('prune')).map((d) => [d.name, d.state]));
    expect(states).toEqual({
      'canopy-prune-v1': 'deleted',
      'canopy-prune-v2': 'deleted',
      'canopy-prune-v3': 'healthy',
      'canopy-prune-v4': 'healthy',
    });
    // Run twice (an activity may), it finds nothing more to delete.
    expect(await act.pruneSuperseded({ model })).toEqual({ ok: true, deleted: [] });
  });
});
