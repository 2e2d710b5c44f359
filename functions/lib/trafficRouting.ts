import { Composition } from '../../shared/composition';
import { TrafficSplitCache } from '../../shared/usecases/trafficSplitCache';

/** How long a split may go unrefreshed (the registry failing) before requests read the registry themselves. */
const maxStaleFloorMs = 30_000;
/** A model without requests for this long is no longer refreshed; its next request reads it again. */
const forgetAfterMs = 5 * 60_000;

let cache: TrafficSplitCache | undefined;

/** The process's traffic splits, kept in memory for the scoring function. */
export function trafficSplits(comp: Composition): TrafficSplitCache {
  const refreshMs = comp.config.scoring.trafficRefreshMs;
  cache ??= new TrafficSplitCache(comp.registry, {
    refreshMs,
    maxStaleMs: Math.max(maxStaleFloorMs, 10 * refreshMs),
    forgetAfterMs,
    // A background refresh has no invocation to log to; the last good split stays in use.
    onRefreshError: (model, err) => console.warn(`traffic split refresh of ${model} failed: ${(err as Error).message}`),
  });
  return cache;
}

/**
 * Runs a write to `model`'s split through this instance; whatever it wrote (all of it, or part of it when it
 * failed), this instance's next scoring request reads afresh.
 */
export async function changingTraffic<T>(model: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } finally {
    cache?.invalidate(model);
  }
}

export function stopTrafficSplits(): void {
  cache?.stop();
}
