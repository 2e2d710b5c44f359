import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalScorerDeployer } from '../../shared/adapters/local/localScorerDeployer';
import { testEndpoints } from '../support/testStack';
import { contractPackages, DeployerSubject, describeDeployer, waitForDeployment } from './deployer.contract';

// The Deployer contract against the local target: a real scorer process on loopback reading its package from Azurite.
const repoRoot = path.resolve(__dirname, '..', '..');
const scorerEntry = path.join(repoRoot, 'dist', 'scoring', 'main.js');

const localDeployer = (rootDir: string) =>
  new LocalScorerDeployer({ rootDir, scorerEntry, storageConnectionString: testEndpoints.storageConnectionString });

let subject: DeployerSubject;
beforeAll(async () => {
  const rootDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-deployer-contract-'));
  subject = { deployer: localDeployer(rootDir), restarted: () => localDeployer(rootDir), ...(await contractPackages()) };
});

describeDeployer('local scorer', () => subject);

/** The scorer processes this test process started and that still run (detached, they stay its children). */
function scorerChildren(): number {
  const out = execFileSync('ps', ['-o', 'stat=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.includes(scorerEntry) && !line.trim().startsWith('Z')).length;
}

describe('local scorer processes across host restarts', () => {
  const request = (name: string) => ({
    name,
    model: 'contract',
    version: 1,
    packageUri: subject.missingPackageUri,
    cpu: 1,
    memoryGb: 1,
    tags: { 'canopy-instance': 'contract--restart' },
  });

  it('runs exactly one process however often a deployment is begun, before and after a restart', async () => {
    const rootDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-deployer-restart-'));
    const before = scorerChildren();
    const first = localDeployer(rootDir);
    await Promise.all([first.beginDeploy(request('canopy-restart')), first.beginDeploy(request('canopy-restart'))]);
    const afterRestart = localDeployer(rootDir);
    await afterRestart.beginDeploy(request('canopy-restart'));
    await localDeployer(rootDir).beginDeploy(request('canopy-restart'));
    expect(scorerChildren()).toBe(before + 1);
    expect((await afterRestart.getDeployment('canopy-restart'))?.endpoint).toBe((await first.getDeployment('canopy-restart'))?.endpoint);
    await afterRestart.delete('canopy-restart');
    await waitForDeployment(first, 'canopy-restart', () => scorerChildren() === before, 40);
    expect(scorerChildren()).toBe(before);
  });

  it('never takes a process that reused a recorded pid for the scorer: it is neither adopted nor killed', async () => {
    const rootDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-deployer-pid-'));
    const record = { name: 'canopy-reused', pid: process.pid, port: 1, model: 'contract', version: 1, startIdentity: 'another-process' };
    fs.writeFileSync(path.join(rootDir, 'canopy-reused.json'), JSON.stringify(record));
    const deployer = localDeployer(rootDir);
    expect(await deployer.getDeployment('canopy-reused')).toMatchObject({ state: 'failed' });
    expect(await deployer.listDeployments()).toEqual([]);
    await deployer.delete('canopy-reused');
    expect(await deployer.getDeployment('canopy-reused')).toEqual({ state: 'deleted' });
  });
});
