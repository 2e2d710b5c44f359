/** A resource in the compute resource group, as ARM lists it. */
export interface TaggedResource {
  id: string;
  /** `Microsoft.HDInsight/clusters`, `Microsoft.ContainerInstance/containerGroups`, ... */
  type: string;
  name: string;
  tags: Record<string, string>;
}

/**
 * What actually exists in the compute resource group, found by Canopy's tags rather than by the ledger: a resource
 * whose create was accepted just before a crash, or whose ledger entry was lost, still carries them.
 */
export interface ResourceInventory {
  /** Every resource tagged `canopy-instance`. */
  listCanopyResources(): Promise<TaggedResource[]>;
}
