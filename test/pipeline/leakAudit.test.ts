import { randomUUID } from 'node:crypto';
import { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import { AciDeployer } from '../../shared/adapters/azure/aciDeployer';
import { armClientOptions } from '../../shared/adapters/azure/azureCredential';
import { azureAccess } from '../../shared/composition';
import { canopyResourceTags } from '../../shared/domain/resourceTags';
import { CellResult, cellPath, LeakAudit, LeakCell, representativeMatrix } from '../support/leakAuditMatrix';

// The leak audit (bench/leakAudit.ts runs the full matrix): each run, whatever its path and however it ends, leaves no
// live resource and no cluster billing after its end, with at most one reaper pass.
jest.setTimeout(15 * 60_000);

const label = (cell: LeakCell) => `${cellPath(cell)}: ${cell.ending}`;
const onFakes = representativeMatrix.filter((c) => c.compute === 'hdinsight');
const onLocalSpark = representativeMatrix.filter((c) => c.compute === 'local-spark');

/** The details ride along so a failure shows what was left live. */
function expectNothingLeaked(result: CellResult): void {
  expect(result.resourcesCreated).toBeGreaterThan(0);
  expect({
    leakedResources: result.leakedResources,
    leakedClusterMinutes: result.leakedClusterMinutes,
    details: result.details,
  }).toMatchObject({ leakedResources: 0, leakedClusterMinutes: 0 });
}

describe('leak audit on the Azure fakes', () => {
  let audit: LeakAudit;
  beforeAll(async () => {
    audit = await LeakAudit.start(true);
  });
  afterAll(async () => {
    await audit?.close();
  });

  it.each(onFakes.map((c) => [label(c), c] as const))('%s leaves nothing behind', async (_label, cell) => {
    expectNothingLeaked(await audit.run(cell));
  });

  it('counts a container group left behind by a run that is over, and one reaper pass removes it', async () => {
    const fakes = audit.fakes!;
    const instanceId = `leak-check--${randomUUID().slice(0, 8)}`;
    const access = azureAccess(fakes.azure);
    const client = new ContainerInstanceManagementClient(
      access.credential,
      fakes.azure.subscriptionId,
      armClientOptions(fakes.azure.armEndpoint, access),
    );
    const deployer = new AciDeployer(fakes.azure, client, { healthTimeoutMs: 2000 });
    const name = `canopy-leak-check-${randomUUID().slice(0, 6)}`;
    await deployer.beginDeploy({
      name,
      model: 'leak-check',
      version: 1,
      packageUri: 'http://127.0.0.1:1/canopy-artifacts/models/leak-check/1/',
      cpu: 1,
      memoryGb: 1,
      tags: canopyResourceTags({ pipeline: 'leak-check', instanceId, kind: 'deployment' }),
    });
    const run = { instanceId, clusterNames: [], endedAt: Date.now() };
    const left = await audit.inventory(run);
    expect(left.leakedResources).toBe(1);
    expect(left.resources.filter((r) => r.live).map((r) => r.id)).toEqual([`arm:microsoft.containerinstance/containergroups/${name}`]);

    await audit.reap();
    let after = await audit.inventory(run);
    for (let i = 0; i < 10 && after.leakedResources > 0; i++) {
      await new Promise((r) => setTimeout(r, 500));
      after = await audit.inventory(run);
    }
    expect(after.leakedResources).toBe(0);
  });
});

describe('leak audit on local Spark', () => {
  let audit: LeakAudit;
  beforeAll(async () => {
    audit = await LeakAudit.start(false);
  });
  afterAll(async () => {
    await audit?.close();
  });

  it.each(onLocalSpark.map((c) => [label(c), c] as const))('%s leaves nothing behind', async (_label, cell) => {
    expectNothingLeaked(await audit.run(cell));
  });
});
