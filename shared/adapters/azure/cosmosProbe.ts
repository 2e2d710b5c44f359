import { CosmosClient } from '@azure/cosmos';
import { DependencyProbe } from '../../ports/dependencyProbe';

/** Cosmos DB answers when it returns its account description. */
export class CosmosProbe implements DependencyProbe {
  readonly name = 'cosmos';
  constructor(private readonly client: CosmosClient) {}

  async check(signal: AbortSignal): Promise<void> {
    await this.client.getDatabaseAccount({ abortSignal: signal });
  }
}
