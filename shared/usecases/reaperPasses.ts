import { BlobRef, BlobStore } from '../ports/blobStore';
import { ReapResult } from './reap';

export interface ReaperPass extends ReapResult {
  at: string;
}

/** The last pass only: the dashboard shows when the cost guard last ran and what it did. */
const lastPassBlob: BlobRef = { container: 'canopy-artifacts', name: '_reaper/last-pass.json' };

export async function recordReaperPass(blobs: BlobStore, result: ReapResult, at: Date): Promise<void> {
  await blobs.ensureContainer(lastPassBlob.container);
  const pass: ReaperPass = { at: at.toISOString(), ...result };
  await blobs.create(lastPassBlob, JSON.stringify(pass), { contentType: 'application/json' });
}

export async function lastReaperPass(blobs: BlobStore): Promise<ReaperPass | null> {
  const text = await blobs.get(lastPassBlob);
  return text ? (JSON.parse(text.toString('utf8')) as ReaperPass) : null;
}
