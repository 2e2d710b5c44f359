import { randomUUID } from 'node:crypto';
import { Deployer, DeploymentStatus } from '../../shared/ports/deployer';
import { uploadFolder } from '../support/canopyUnderTest';
import { tabularModelPackage } from '../support/modelPackages';
import { testEndpoints } from '../support/testStack';

export interface DeployerSubject {
  deployer: Deployer;
  /** A model package folder the scorer loads. */
  packageUri: string;
  /** A package folder that does not exist: the scorer starts and reports it cannot load. */
  missingPackageUri: string;
  /** A fresh adapter on the same state, as the host has after a restart; absent where the adapter keeps none. */
  restarted?: () => Deployer;
}

/** Reads a deployment until `done` says so; the last status is returned either way for the assertion to show. */
export async function waitForDeployment(
  deployer: Deployer,
  name: string,
  done: (s: DeploymentStatus | undefined) => boolean,
  attempts = 240,
): Promise<DeploymentStatus | undefined> {
  let status = await deployer.getDeployment(name);
  for (let i = 0; i < attempts && !done(status); i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    status = await deployer.getDeployment(name);
  }
  return status;
}

/** Whether `url` stops answering 200 (a deleted scorer drains its requests first). */
async function stopsServing(url: string): Promise<boolean> {
  for (let i = 0; i < 120; i++) {
    const status = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status,
      () => 0,
    );
    if (status !== 200) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

/** A real (small) model package in Azurite's `models` container, and a package that does not exist. The missing one
 * is a file path: the scorer reports a missing blob as still loading (a 404 from HEAD has an empty error message). */
export async function contractPackages(): Promise<{ packageUri: string; missingPackageUri: string }> {
  const prefix = 'contract/deployer/1/';
  await uploadFolder('models', prefix, tabularModelPackage().packageDir);
  return {
    packageUri: `http://127.0.0.1:${testEndpoints.ports.blob}/devstoreaccount1/models/${prefix}`,
    missingPackageUri: 'file:///nonexistent/canopy/contract/package/',
  };
}

const settled = (s: DeploymentStatus | undefined) => s?.state === 'running' || s?.state === 'failed';
const gone = (s: DeploymentStatus | undefined) => s === undefined || s.state === 'deleted';

/** The Deployer contract: every target runs the scorer for a model version until it is deleted. */
export function describeDeployer(name: string, subject: () => DeployerSubject): void {
  describe(`Deployer contract (${name})`, () => {
    const run = randomUUID().slice(0, 6);
    const request = (deployment: string, packageUri: string) => ({
      name: deployment,
      model: 'contract',
      version: 3,
      packageUri,
      cpu: 1,
      memoryGb: 1.5,
      tags: { 'canopy-pipeline': 'contract', 'canopy-instance': `contract--${run}` },
    });

    it('knows nothing of a deployment that was never made, and deleting it succeeds', async () => {
      expect(await subject().deployer.getDeployment(`canopy-none-${run}`)).toBeUndefined();
      await expect(subject().deployer.delete(`canopy-none-${run}`)).resolves.toBeUndefined();
    });

    it('runs a model version until it answers /health, once however often it is begun, and deletes it', async () => {
      const { deployer, packageUri } = subject();
      const deployment = `canopy-contract-${run}-ok`;
      await deployer.beginDeploy(request(deployment, packageUri));
      await deployer.beginDeploy(request(deployment, packageUri));
      const status = await waitForDeployment(deployer, deployment, settled);
      expect(status).toMatchObject({ state: 'running', endpoint: expect.stringMatching(/^https?:\/\//) });
      const health = await fetch(`${status?.endpoint}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ready', model: 'contract', version: '3' });

      await deployer.delete(deployment);
      await deployer.delete(deployment);
      expect(gone(await waitForDeployment(deployer, deployment, gone))).toBe(true);
      expect(await stopsServing(`${status?.endpoint}/health`)).toBe(true);
    });

    it('adopts a deployment that exists when begun again, concurrently or by a restarted host, and lists it once', async () => {
      const { deployer, packageUri, restarted } = subject();
      const deployment = `canopy-contract-${run}-again`;
      await Promise.all([deployer.beginDeploy(request(deployment, packageUri)), deployer.beginDeploy(request(deployment, packageUri))]);
      const first = await waitForDeployment(deployer, deployment, settled);
      expect(first).toMatchObject({ state: 'running' });
      const again = restarted?.() ?? deployer;
      await again.beginDeploy(request(deployment, packageUri));
      expect(await again.getDeployment(deployment)).toEqual(first);
      if (deployer.listDeployments) {
        const listed = (await again.listDeployments?.())?.filter((d) => d.name === deployment);
        expect(listed).toEqual([{ name: deployment, tags: expect.objectContaining(request(deployment, packageUri).tags) }]);
      }
      await again.delete(deployment);
      expect(gone(await waitForDeployment(deployer, deployment, gone))).toBe(true);
      expect((await deployer.listDeployments?.())?.some((d) => d.name === deployment) ?? false).toBe(false);
    });

    it('reports a version whose package cannot be loaded as failed, with the reason', async () => {
      const { deployer, missingPackageUri } = subject();
      const deployment = `canopy-contract-${run}-bad`;
      await deployer.beginDeploy(request(deployment, missingPackageUri));
      const status = await waitForDeployment(deployer, deployment, settled);
      // Local and ACI read the scorer's own reason from /health; AKS routes only to ready pods and reports the rollout.
      expect(status).toMatchObject({ state: 'failed', error: expect.stringMatching(/manifest\.json|timed out progressing/) });
      await deployer.delete(deployment);
    });
  });
}
