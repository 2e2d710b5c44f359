/** The tags every resource Canopy creates carries: the reaper finds by them what the ledger never heard of. */
export const canopyTags = {
  pipeline: 'canopy-pipeline',
  instance: 'canopy-instance',
  expiresAt: 'canopy-expires-at',
  kind: 'canopy-kind',
} as const;

export type CanopyResourceKind = 'cluster' | 'deployment' | 'batch-scoring-cluster';

/** The tags of a resource a run creates; `expiresAt` where the resource has a lifetime (a deployment has none). */
export function canopyResourceTags(args: {
  pipeline: string;
  instanceId: string;
  kind: CanopyResourceKind;
  expiresAt?: string;
}): Record<string, string> {
  return {
    [canopyTags.pipeline]: args.pipeline,
    [canopyTags.instance]: args.instanceId,
    [canopyTags.kind]: args.kind,
    ...(args.expiresAt ? { [canopyTags.expiresAt]: args.expiresAt } : {}),
  };
}
