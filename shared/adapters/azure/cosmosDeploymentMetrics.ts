import { Container } from '@azure/cosmos';
import { mergeWindow, metricsRetentionSeconds, MetricsWindow } from '../../domain/deploymentMetrics';
import { DeploymentMetricsStore } from '../../ports/deploymentMetrics';
import { isCosmosStatus, withoutSystemFields } from './cosmosSchema';
import { cosmosCall, cosmosError } from './cosmosErrors';

/** `ttl`: the `models` container has TTL on with no default, so only these documents expire. */
type MetricsDocument = MetricsWindow & { id: string; kind: 'metrics'; ttl: number; _etag?: string };

const bookkeeping = ['id', 'kind', 'ttl'];

const maxAttempts = 10;

/**
 * Metrics windows as `metrics:<deployment>:<window start>` documents in the `models` container, beside the
 * deployments they describe (same partition: the model). Adds are read–merge–write with If-Match, retried on a
 * conflict, so instances flushing the same window at once never lose each other's counts.
 */
export class CosmosDeploymentMetrics implements DeploymentMetricsStore {
  constructor(private readonly models: Container) {}

  async add(windows: MetricsWindow[]): Promise<void> {
    for (const window of windows) await this.#addOne(window);
  }

  async list(model: string, since: Date): Promise<MetricsWindow[]> {
    const { resources } = await cosmosCall(() =>
      this.models.items
        .query<MetricsDocument>(
          {
            query: "SELECT * FROM c WHERE c.model = @m AND c.kind = 'metrics' AND c.windowStart >= @since",
            parameters: [
              { name: '@m', value: model },
              { name: '@since', value: since.toISOString() },
            ],
          },
          { partitionKey: model },
        )
        .fetchAll(),
    );
    return resources.map((d) => withoutSystemFields<MetricsWindow>(d, ...bookkeeping));
  }

  async #addOne(window: MetricsWindow): Promise<void> {
    const id = `metrics:${window.deployment}:${window.windowStart}`;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const stored = await this.#read(id, window.model);
      try {
        if (!stored) {
          await this.models.items.create<MetricsDocument>({ ...window, id, kind: 'metrics', ttl: metricsRetentionSeconds });
        } else {
          const merged = mergeWindow(withoutSystemFields<MetricsWindow>(stored, ...bookkeeping), window);
          await this.models
            .item(id, window.model)
            .replace<MetricsDocument>(
              { ...merged, id, kind: 'metrics', ttl: metricsRetentionSeconds },
              { accessCondition: { type: 'IfMatch', condition: stored._etag as string } },
            );
        }
        return;
      } catch (err) {
        // 409: another instance created the window first; 412: it changed since the read. Read again and merge.
        if (!isCosmosStatus(err, 409, 412)) throw cosmosError(err);
      }
    }
    throw new Error(`could not add metrics for ${window.deployment}: the window kept changing under ${maxAttempts} attempts`);
  }

  async #read(id: string, model: string): Promise<MetricsDocument | undefined> {
    try {
      const { resource } = await this.models.item(id, model).read<MetricsDocument>();
      return resource;
    } catch (err) {
      if (isCosmosStatus(err, 404)) return undefined;
      throw cosmosError(err);
    }
  }
}
