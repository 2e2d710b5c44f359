// npm run bench:copy — server-side copy throughput on the local stack (Azurite), and writes bench/results/copy.json.
// For each size (the 1,401-blob demo set, 10,000 blobs; ~1 KiB PNG-sized) it starts a stack of its own on free
// ports, uploads the blobs, and copies them page by page in this process through the copier the composition builds
// (blobCopiers(config)) with the page size and concurrency the pipeline's copyDataPage activity uses, as the
// orchestration does: one page after the other. Then it copies each set again, which must copy nothing. The whole
// is done twice: on the stack as shipped (Azurite with its blob lookups by name, devhost/localStack/azuriteIndexedLookups.ts)
// and on stock Azurite, whose every blob request scans the account's blobs; and once on the stack as shipped but without its
// metadata journal (devhost/localStack/azuriteJournal.ts), to show what the journal costs.
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { freePort } = require('./lib/freePort');

const root = path.resolve(__dirname, '..');
const dist = (...p) => require(path.join(root, 'dist', ...p));
const sizes = (process.env.BENCH_COPY_SIZES ?? '1401,10000').split(',').map(Number);
const blobBytes = 1024;
const uploadConcurrency = 64;
const { copySettings } = dist('orchestrations', 'trainingPipeline', 'activities', 'inputData');
const round = (n, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

async function pool(count, limit, work) {
  let next = 0;
  const worker = async () => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

/** Fashion-MNIST's layout: split/label/image.png; the bytes are random (a PNG of one image is about 1 KiB). */
async function upload(container, prefix, count) {
  await container.createIfNotExists();
  await pool(count, uploadConcurrency, (i) =>
    container
      .getBlockBlobClient(`${prefix}${i % 7 === 0 ? 'test' : 'train'}/${i % 10}/${String(i).padStart(5, '0')}.png`)
      .uploadData(randomBytes(blobBytes)),
  );
  await container.getBlockBlobClient(`${prefix}_READY`).uploadData(Buffer.alloc(0));
}

async function copyAll(copier, settings, source, target) {
  const totals = { copied: 0, skipped: 0, failed: 0, pages: 0 };
  let continuation;
  const started = process.hrtime.bigint();
  do {
    const page = await copier.copyPage({
      source,
      target,
      continuation,
      pageSize: settings.pageSize,
      concurrency: settings.concurrency,
      include: settings.include,
    });
    totals.copied += page.copied;
    totals.skipped += page.skipped;
    totals.failed += page.failed;
    totals.pages++;
    if (page.failed > 0) console.error(`copy failures: ${JSON.stringify(page.failures.slice(0, 3))}`);
    continuation = page.next;
  } while (continuation);
  return { ...totals, wallSeconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/** One size on a stack of its own, so each figure counts only its own blobs in Azurite's account. */
async function measure(count, indexedLookups, journaledMetadata = true) {
  const { startLocalStack } = dist('devhost', 'localStack', 'stack');
  const { loadConfig } = dist('shared', 'config');
  const { blobCopiers } = dist('shared', 'adapters', 'azure', 'blobCopyFactory');
  const { BlobServiceClient } = require('@azure/storage-blob');
  const stackDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-bench-copy-'));
  const ports = { blob: await freePort(), queue: await freePort(), table: await freePort(), cosmos: await freePort() };
  const stack = await startLocalStack(stackDir, ports, { indexedBlobLookups: indexedLookups, journaledMetadata });
  try {
    const cfg = loadConfig({
      CANOPY_RUNTIME: 'local',
      AzureWebJobsStorage: stack.storageConnectionString,
      CANOPY_COSMOS_ENDPOINT: stack.cosmosEndpoint,
      CANOPY_COSMOS_EMULATOR_KEY: stack.cosmosConnectionString.split('AccountKey=')[1].replace(/;$/, ''),
    });
    const copier = blobCopiers(cfg)();
    const service = BlobServiceClient.fromConnectionString(stack.storageConnectionString);
    const source = { container: 'landing', prefix: 'fashion/' };
    const target = { container: 'canopy-work', prefix: `bench/${count}/data/` };
    process.stdout.write(`uploading ${count} blobs of ${blobBytes} B ... `);
    const uploadStarted = Date.now();
    await upload(service.getContainerClient(source.container), source.prefix, count);
    console.log(`${round((Date.now() - uploadStarted) / 1000)} s`);
    const loadAverage = os.loadavg().map((l) => round(l));
    const first = await copyAll(copier, copySettings, source, target);
    const again = await copyAll(copier, copySettings, source, target);
    const run = {
      blobs: count,
      blobsPerSecond: round(first.copied / first.wallSeconds, 1),
      wallSeconds: round(first.wallSeconds, 3),
      pages: first.pages,
      copied: first.copied,
      failed: first.failed,
      loadAverageBeforeCopy: loadAverage,
      rerun: { copied: again.copied, skipped: again.skipped, failed: again.failed, wallSeconds: round(again.wallSeconds, 3) },
    };
    console.log(JSON.stringify({ indexedLookups, journaledMetadata, ...run }));
    return run;
  } finally {
    await stack.stop();
    fs.rmSync(stackDir, { recursive: true, force: true });
  }
}

async function main() {
  const loadBefore = os.loadavg();
  const runs = [];
  for (const count of sizes) runs.push(await measure(count, true));
  const unjournaledRuns = [];
  for (const count of sizes) unjournaledRuns.push(await measure(count, true, false));
  const stockRuns = [];
  for (const count of sizes) stockRuns.push(await measure(count, false, false));
  const result = {
    benchmark: 'copy',
    measuredAt: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGiB: round(os.totalmem() / 2 ** 30, 1),
      loadAverageBefore: loadBefore.map((l) => round(l)),
      loadAverageAfter: os.loadavg().map((l) => round(l)),
      node: process.version,
    },
    setup:
      'one local stack (Azurite) per size on free ports; source and target in its one account; copies run in this ' +
      'process through blobCopiers(config) with the copyDataPage activity settings, pages one after the other',
    settings: { pageSize: copySettings.pageSize, concurrency: copySettings.concurrency, blobBytes },
    runs,
    withoutMetadataJournal: {
      what:
        "the same without devhost/localStack/azuriteJournal.ts (each metadata write journaled and fsync'd before the " +
        'response): Azurite acknowledges before its metadata is on disk, and a kill -9 loses up to 5 s of writes',
      runs: unjournaledRuns,
    },
    withStockAzurite: {
      what:
        'the same on stock Azurite, without devhost/localStack/azuriteIndexedLookups.ts nor the metadata journal: each blob request scans every ' +
        'blob of the account, so its cost grows with the blobs stored',
      runs: stockRuns,
    },
  };
  fs.mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  fs.writeFileSync(path.join(root, 'bench', 'results', 'copy.json'), JSON.stringify(result, null, 2) + '\n');
  console.log('wrote bench/results/copy.json');
  const ok = [...runs, ...unjournaledRuns, ...stockRuns].every(
    (r) => r.copied === r.blobs && r.failed === 0 && r.rerun.copied === 0 && r.rerun.skipped === r.blobs,
  );
  process.exit(ok ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
