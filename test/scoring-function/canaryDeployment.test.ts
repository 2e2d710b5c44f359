import { randomUUID } from 'node:crypto';
import { AzureBlobStore } from '../../shared/adapters/azure/azureBlobStore';
import { CosmosModelRegistry } from '../../shared/adapters/azure/cosmosModelRegistry';
import { CosmosResourceLedger } from '../../shared/adapters/azure/cosmosResourceLedger';
import { openCanopyContainers } from '../../shared/adapters/azure/cosmosSchema';
import { candidateGrid } from '../../shared/domain/candidateGrid';
import { PipelineSpec, validatePipelineSpec } from '../../shared/domain/pipelineSpec';
import { systemClock } from '../../shared/ports/clock';
import { createDeployActivities } from '../../orchestrations/deployModel/activities/handlers';
import { fixedSpecs } from '../support/fixedSpecs';
import { blobService } from '../support/canopyUnderTest';
import { registerTestVersion } from '../support/modelVersions';
import { testCosmosClient } from '../support/testStack';

// The pipeline's switchTraffic activity with `deployment.canaryPercent`, on the real registry (Cosmos emulator).
const client = testCosmosClient();

function spec(deployment: Record<string, unknown> = {}) {
  return validatePipelineSpec(
    {
      name: 'canary',
      scenario: 'image-classification',
      data: { source: { container: 'landing', prefix: 'x/' } },
      candidates: { classifiers: [{ type: 'logistic_regression' }] },
      deployment,
    },
    (s) => candidateGrid(s).length,
  );
}

it('deployment.canaryPercent is an integer from 1 to 100, 100 by default', () => {
  const defaults = spec();
  expect(defaults.ok && defaults.spec.deployment.canaryPercent).toBe(100);
  for (const bad of [0, 101, 12.5]) expect(spec({ canaryPercent: bad }).ok).toBe(false);
});

describe('switchTraffic with a canary share', () => {
  it('sends the new champion its share while production keeps the rest, and is the same when it runs twice', async () => {
    const containers = await openCanopyContainers(client, `canary-${randomUUID().slice(0, 8)}`);
    const registry = new CosmosModelRegistry(containers.models);
    const checked = spec({ canaryPercent: 10 });
    if (!checked.ok) throw new Error(checked.problems.join('; '));
    const act = createDeployActivities({
      blobs: new AzureBlobStore(blobService),
      specs: fixedSpecs(checked.spec as PipelineSpec),
      registry,
      ledger: new CosmosResourceLedger(containers.ledger),
      deployer: () => {
        throw new Error('no deployer in this test');
      },
      clock: systemClock,
    });
    const run = { pipeline: 'canary', instanceId: 'canary--1', specVersion: 1 };
    const register = (n: number) => registerTestVersion(registry, 'canary', `canary--${n}`, `file:///p/${n}`);
    const switchTraffic = (version: number) =>
      act.switchTraffic({
        run,
        model: { model: 'canary', version, packageUri: `file:///p/${version}` },
        name: `canary-v${version}`,
        endpoint: `http://127.0.0.1:1/v${version}`,
      });
    const shares = async () => (await registry.listDeployments('canary')).map((d) => [d.name, d.trafficPercent]);

    await register(1);
    // Nothing in production yet: no one to keep the rest, so the first version takes everything.
    expect(await switchTraffic(1)).toEqual({ ok: true, previous: undefined, canary: false });
    expect(await shares()).toEqual([['canary-v1', 100]]);
    expect((await registry.getProduction('canary'))?.version).toBe(1);

    await register(2);
    expect(await switchTraffic(2)).toEqual({ ok: true, previous: undefined, canary: true });
    expect(await switchTraffic(2)).toEqual({ ok: true, previous: undefined, canary: true });
    expect(await shares()).toEqual([
      ['canary-v1', 90],
      ['canary-v2', 10],
    ]);
    expect((await registry.getProduction('canary'))?.version).toBe(1);
    expect((await registry.getVersion('canary', 2))?.stage).toBe('staging');
  });
});
