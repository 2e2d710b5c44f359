import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { startDevhost } from '../support/devhostProcess';
import { testEndpoints } from '../support/testStack';

const appDir = path.resolve(__dirname, '../fixtures/timerApp');
const blobs = BlobServiceClient.fromConnectionString(testEndpoints.storageConnectionString);

interface Tick {
  started: number;
  ended: number;
  isPastDue: boolean;
  last: string | null;
}

async function ticks(hostId: string): Promise<Tick[]> {
  const container = blobs.getContainerClient('ticks');
  if (!(await container.exists())) return [];
  const out: Tick[] = [];
  for await (const blob of container.listBlobsFlat({ prefix: `${hostId}/` })) {
    out.push(JSON.parse((await container.getBlobClient(blob.name).downloadToBuffer()).toString('utf8')) as Tick);
  }
  return out.sort((a, b) => a.started - b.started);
}

async function status(hostId: string): Promise<{ Last: string; Next: string; LastUpdated: string }> {
  const blob = blobs.getContainerClient('azure-webjobs-hosts').getBlobClient(`timers/${hostId}/Host.Functions.tick/status`);
  return JSON.parse((await blob.downloadToBuffer()).toString('utf8'));
}

describe('devhost timer triggers', () => {
  it('fires a one-second schedule repeatedly, never overlapping, with schedule status that survives a restart', async () => {
    let host = await startDevhost({ appDir });
    await new Promise((r) => setTimeout(r, 7000));
    await host.stop();
    const first = await ticks(host.hostId);
    expect(first.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < first.length; i++) expect(first[i].started).toBeGreaterThanOrEqual(first[i - 1].ended);

    const saved = await status(host.hostId);
    expect(new Date(saved.Last).getTime()).toBeGreaterThan(first[0].started - 2000);
    expect(new Date(saved.Next).getTime()).toBeGreaterThan(new Date(saved.Last).getTime());

    // Stopped for longer than the interval, the next start is past due and sees the saved status.
    await new Promise((r) => setTimeout(r, 1500));
    host = await startDevhost(host.options());
    await new Promise((r) => setTimeout(r, 2500));
    await host.stop();
    const after = (await ticks(host.hostId)).slice(first.length);
    expect(after.length).toBeGreaterThanOrEqual(1);
    expect(after[0].isPastDue).toBe(true);
    expect(after[0].last).toBe(saved.Last);
  });
});
