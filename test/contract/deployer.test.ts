import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalScorerDeployer } from '../../shared/adapters/local/localScorerDeployer';
import { testEndpoints } from '../support/testStack';
import { contractPackages, DeployerSubject, describeDeployer } from './deployer.contract';

// The Deployer contract against the local target: a real scorer process on loopback reading its package from Azurite.
const repoRoot = path.resolve(__dirname, '..', '..');

let subject: DeployerSubject;
beforeAll(async () => {
  const deployer = new LocalScorerDeployer({
    rootDir: fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-deployer-contract-')),
    scorerEntry: path.join(repoRoot, 'dist', 'scoring', 'main.js'),
    storageConnectionString: testEndpoints.storageConnectionString,
  });
  subject = { deployer, ...(await contractPackages()) };
});

describeDeployer('local scorer', () => subject);
