import { randomUUID } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { BlobFake } from '../../devhost/azureFakes/blobFake';
import { Tagged } from '../../orchestrations/durable/contract';
import { CopyPageResult, RunRef } from '../../orchestrations/trainingPipeline/contracts';
import { createPipelineActivities } from '../../orchestrations/trainingPipeline/activities/handlers';
import { dataSnapshot } from '../../shared/domain/runLocations';
import { fixedSpecs } from '../support/fixedSpecs';
import { blobCopiers } from '../../shared/adapters/azure/blobCopyFactory';
import { candidateGrid } from '../../shared/domain/candidateGrid';
import { loadConfig } from '../../shared/config';
import { PipelineSpec, validatePipelineSpec } from '../../shared/domain/pipelineSpec';
import { testAppSettings, testEndpoints } from '../support/testStack';

// The pipeline's copyDataPage activity with the copier the composition builds: a named source account copied into the
// run's data snapshot. Azurite copies between accounts only on one host, so app storage and source are both the test
// Azurite reached through the blob fake (which logs and injects faults).
describe('copyDataPage', () => {
  const id = randomUUID().slice(0, 8);
  let fake: BlobFake;
  let copyDataPage: (input: { run: RunRef; continuation?: string }) => Promise<Tagged<CopyPageResult>>;
  let target: BlobServiceClient;

  const specOf = (connection?: string): PipelineSpec => {
    const checked = validatePipelineSpec(
      {
        name: 'copy',
        scenario: 'image-classification',
        data: { source: { container: `landing-${id}`, prefix: 'landuse/', ...(connection ? { connection } : {}) } },
        candidates: { classifiers: [{ type: 'logistic_regression' }] },
      },
      (s) => candidateGrid(s).length,
    );
    if (!checked.ok) throw new Error(checked.problems.join('; '));
    return checked.spec as PipelineSpec;
  };
  const connections = ['landUse', 'elsewhere'];
  const specs = fixedSpecs(...connections.map(specOf));
  const run = (connection: string): RunRef => ({
    pipeline: 'copy',
    instanceId: `copy--${id}`,
    specVersion: connections.indexOf(connection) + 1,
  });

  beforeAll(async () => {
    fake = await BlobFake.start(`http://127.0.0.1:${testEndpoints.ports.blob}`);
    const sourceConnection = testEndpoints.storageConnectionString.replace(/BlobEndpoint=http:\/\/[^/]+/, `BlobEndpoint=${fake.origin}`);
    const cfg = loadConfig({
      ...testAppSettings(),
      AzureWebJobsStorage: sourceConnection,
      CANOPY_SOURCE_LANDUSE_CONNECTION_STRING: sourceConnection,
    });
    const landing = BlobServiceClient.fromConnectionString(sourceConnection).getContainerClient(`landing-${id}`);
    await landing.createIfNotExists();
    for (const name of ['train/a/1.png', 'train/b/2.png', 'test/a/3.png', '_READY'])
      await landing.getBlockBlobClient(`landuse/${name}`).uploadData(Buffer.from(name));
    target = BlobServiceClient.fromConnectionString(testEndpoints.storageConnectionString);
    copyDataPage = createPipelineActivities({
      copier: blobCopiers(cfg),
      specs,
      blobs: undefined as never,
      runs: undefined as never,
      registry: undefined as never,
      clock: { now: () => new Date() },
    }).copyDataPage;
  });
  afterAll(() => fake.stop());

  it("copies the named account's folder into the run's snapshot without markers, then skips it all", async () => {
    expect(await copyDataPage({ run: run('landUse') })).toEqual({
      ok: true,
      copied: 3,
      skipped: 0,
      failed: 0,
      failures: [],
      next: undefined,
    });
    const snapshot = dataSnapshot(run('landUse'), specOf('landUse'));
    const names: string[] = [];
    for await (const blob of target.getContainerClient(snapshot.container).listBlobsFlat({ prefix: snapshot.prefix }))
      names.push(blob.name);
    expect(names.map((n) => n.slice(snapshot.prefix.length)).sort()).toEqual(['test/a/3.png', 'train/a/1.png', 'train/b/2.png']);
    const copies = fake.requests.filter((r) => r.operation === 'syncCopy');
    expect(copies).toHaveLength(3);
    expect(copies.every((r) => r.signedSource)).toBe(true);
    expect(await copyDataPage({ run: run('landUse') })).toMatchObject({ ok: true, copied: 0, skipped: 3 });
  });

  it('names each failed blob with its reason', async () => {
    fake.fail('syncCopy', 1, 500, 'InternalError', 'The server encountered an internal error.');
    const result = await copyDataPage({ run: { ...run('landUse'), instanceId: `copy--${id}-2` } });
    expect(result).toMatchObject({ ok: true, copied: 2, failed: 1 });
    expect((result as CopyPageResult).failures).toEqual([
      expect.stringMatching(/^landuse\/\S+ \(500 InternalError The server encountered/),
    ]);
  });

  it('fails with DATA.UNKNOWN_CONNECTION for a connection no setting names', async () => {
    // A permanent refusal: the activity host turns it into a tagged failure, so the run fails at once.
    await expect(copyDataPage({ run: run('elsewhere') })).rejects.toMatchObject({ code: 'DATA.UNKNOWN_CONNECTION', transient: false });
  });
});
