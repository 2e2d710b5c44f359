import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { BlobLeaseClient, BlobServiceClient, RestError } from '@azure/storage-blob';
import { HostLogger } from '../logger';

const leaseSeconds = 30;
const renewEveryMs = 10_000;

export class HubLeaseError extends Error {
  readonly code = 'DEVHOST.DURABLE_HUB_IN_USE';
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One host at a time works a task hub (the Azure Storage provider leases its control-queue
 * partitions the same way, with blob leases). A lease whose holder was a process on this machine
 * that no longer exists is broken at once, so a host restarted after a crash does not wait out
 * the lease; a live holder elsewhere keeps it, and this host then refuses to start.
 */
export class HubLease {
  readonly #blobs: BlobServiceClient;
  readonly #hubName: string;
  readonly #logger: HostLogger;
  #lease: BlobLeaseClient | undefined;
  #renewal: NodeJS.Timeout | undefined;

  constructor(blobs: BlobServiceClient, hubName: string, logger: HostLogger) {
    this.#blobs = blobs;
    this.#hubName = hubName;
    this.#logger = logger;
  }

  async acquire(hostId: string, onLost: () => void): Promise<void> {
    const container = this.#blobs.getContainerClient(`${this.#hubName.toLowerCase()}-leases`);
    await container.createIfNotExists();
    const blob = container.getBlockBlobClient('owner');
    await blob.upload('', 0, { conditions: { ifNoneMatch: '*' } }).catch((err: unknown) => {
      if (!(err instanceof RestError) || (err.statusCode !== 409 && err.statusCode !== 412)) throw err;
    });
    const deadline = Date.now() + (leaseSeconds + 5) * 1000;
    for (;;) {
      const lease = blob.getBlobLeaseClient(randomUUID());
      try {
        await lease.acquireLease(leaseSeconds);
        await blob.setMetadata(
          { pid: String(process.pid), hostname: os.hostname(), hostid: hostId },
          { conditions: { leaseId: lease.leaseId } },
        );
        this.#lease = lease;
        break;
      } catch (err) {
        if (!(err instanceof RestError) || err.statusCode !== 409) throw err;
      }
      const holder = (await blob.getProperties()).metadata ?? {};
      if (holder.hostname === os.hostname() && !isAlive(Number(holder.pid))) {
        this.#logger.host('information', `Task hub '${this.#hubName}': breaking the lease of process ${holder.pid}, which no longer runs.`);
        await blob.getBlobLeaseClient().breakLease(0);
        continue;
      }
      if (Date.now() > deadline) {
        throw new HubLeaseError(
          `Task hub '${this.#hubName}' is in use by another host (process ${holder.pid} on ${holder.hostname}); stop it or use another hubName.`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    this.#renewal = setInterval(() => {
      this.#lease?.renewLease().catch((err: Error) => {
        this.#logger.host('error', `Task hub '${this.#hubName}': lost the lease (${err.message}); this host stops running its instances.`);
        this.#stopRenewing();
        onLost();
      });
    }, renewEveryMs);
  }

  #stopRenewing(): void {
    if (this.#renewal) clearInterval(this.#renewal);
    this.#renewal = undefined;
  }

  async release(): Promise<void> {
    this.#stopRenewing();
    await this.#lease?.releaseLease().catch(() => undefined);
    this.#lease = undefined;
  }
}
