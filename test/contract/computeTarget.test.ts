import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { AzureBlobStore } from '../../shared/adapters/azure/azureBlobStore';
import { hdinsightComputeTarget } from '../../shared/composition';
import { LocalSparkComputeTarget } from '../../shared/adapters/local/localSparkComputeTarget';
import { loadConfig } from '../../shared/config';
import { startAzureFakes } from '../support/azureFakes';
import { fashionSample, repoRoot, uploadFolder } from '../support/canopyUnderTest';
import { testAppSettings, testEndpoints } from '../support/testStack';
import { describeComputeTargetContract } from './computeTarget.contract';

// The compute contract against local Spark (real jobs) and HDInsight on the ARM and Livy fakes (recorded outcomes:
// the Livy path, staging and output copy are real; test/pipeline/azureFakes.test.ts runs real Spark behind Livy).
const data = new AzureBlobStore(BlobServiceClient.fromConnectionString(testEndpoints.storageConnectionString));
const modelsDir = path.join(repoRoot, '.canopy', 'models');
const uploadImages = (container: string, prefix: string) => uploadFolder(container, prefix, fashionSample()).then(() => undefined);

describeComputeTargetContract('local Spark', async () => ({
  target: new LocalSparkComputeTarget({
    rootDir: fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-contract-')),
    jobsDir: path.join(repoRoot, 'jobs'),
    modelsDir,
    blobs: data,
  }),
  data,
  uploadImages,
}));

describeComputeTargetContract('HDInsight + Livy (fakes)', async () => {
  const fakes = await startAzureFakes({ runner: 'recorded', provisionMs: 1000 });
  const cfg = loadConfig({ ...testAppSettings(), ...fakes.env, CANOPY_MODELS_DIR: modelsDir });
  return {
    target: hdinsightComputeTarget(cfg, fakes.azure, data),
    data,
    uploadImages,
    beforeFailingBatch: () =>
      fakes.recorded?.next({ ends: 'dead', log: ["image_train.py: error: argument --classifier: invalid choice: 'no_such_classifier'"] }),
    beforeGridBatch: (failing: string) => fakes.recorded?.next({ failedCandidates: [failing] }),
    close: () => fakes.close(),
  };
});
