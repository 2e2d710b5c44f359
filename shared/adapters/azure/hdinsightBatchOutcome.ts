import { BlobStore } from '../../ports/blobStore';
import { BatchStatus } from '../../ports/computeTarget';

/** Where a batch writes on the cluster storage, and the grid candidates (`<part>/`) it writes there, if any. */
export interface BatchOutputs {
  container: string;
  clusterOutput: string;
  parts: string[];
}

/** The candidate ids of a grid batch's `--grid` argument (each writes its own `<id>/` part); none for a plain batch. */
export function gridParts(args: string[]): string[] {
  const at = args.indexOf('--grid');
  if (at < 0) return [];
  try {
    const grid = JSON.parse(args[at + 1] ?? '[]') as unknown;
    return Array.isArray(grid) ? grid.map((candidate) => String((candidate as { id?: unknown }).id)) : [];
  } catch {
    return [];
  }
}

/**
 * The outcome of a batch Livy no longer knows (forgotten after its retain time or after DELETE), read from what the job
 * left: a job writes `_SUCCESS` only as its last step (a grid candidate `_SUCCESS` or `_FAILED`), so its presence is
 * the job's success whatever Livy would have said, and files without it are a job that stopped half-way.
 */
export async function outcomeFromStorage(store: BlobStore, outputs: BatchOutputs, batch: string): Promise<BatchStatus> {
  const at = (name: string) => store.getInfo({ container: outputs.container, name: `${outputs.clusterOutput}${name}` });
  const forgotten = `batch ${batch} ended while Livy no longer knows it (its state was read from ${outputs.clusterOutput})`;
  if (outputs.parts.length > 0) {
    const states = await Promise.all(
      outputs.parts.map(async (part) =>
        (await at(`${part}/_SUCCESS`)) ? 'success' : (await at(`${part}/_FAILED`)) ? 'failed' : undefined,
      ),
    );
    const unfinished = outputs.parts.filter((_, i) => states[i] === undefined);
    if (unfinished.length > 0)
      return {
        state: 'dead',
        log: `${forgotten}: candidate(s) ${unfinished.join(', ')} left neither _SUCCESS nor _FAILED; the job stopped before they finished`,
      };
    return states.includes('success') ? { state: 'success' } : { state: 'dead', log: `${forgotten}: every candidate wrote _FAILED` };
  }
  if (await at('_SUCCESS')) return { state: 'success' };
  const written = await store.list(outputs.container, outputs.clusterOutput, { pageSize: 1 });
  return {
    state: 'dead',
    log:
      written.items.length > 0
        ? `${forgotten}: the output is half-written, _SUCCESS is missing (the job stopped before its last step)`
        : `${forgotten}: the job wrote nothing, not even _SUCCESS`,
  };
}
