import { ResourceManagementClient } from '@azure/arm-resources';
import { AzureResourcesConfig } from '../../config';
import { canopyTags } from '../../domain/resourceTags';
import { ResourceInventory, TaggedResource } from '../../ports/resourceInventory';
import { armError } from './armErrors';
import { armClientOptions, AzureAccess } from './azureCredential';

/**
 * Lists the compute resource group with ARM's Resources - List By Resource Group. The tag is matched here, not with
 * `$filter=tagName eq ...`, because ARM leaves the tags out of results filtered by tag, and the reaper needs them.
 */
export class ArmResourceInventory implements ResourceInventory {
  readonly #client: ResourceManagementClient;

  constructor(
    private readonly azure: AzureResourcesConfig,
    access: AzureAccess,
  ) {
    this.#client = new ResourceManagementClient(access.credential, azure.subscriptionId, armClientOptions(azure.armEndpoint, access));
  }

  async listCanopyResources(): Promise<TaggedResource[]> {
    const found: TaggedResource[] = [];
    try {
      for await (const resource of this.#client.resources.listByResourceGroup(this.azure.computeResourceGroup)) {
        const tags = resource.tags ?? {};
        if (!resource.id || !resource.type || !resource.name || !tags[canopyTags.instance]) continue;
        found.push({ id: resource.id, type: resource.type, name: resource.name, tags });
      }
    } catch (err) {
      throw armError(err);
    }
    return found;
  }
}
