import { Container } from '@azure/cosmos';
import { DeploymentRecord, ModelRegistry, ModelVersion } from '../../ports/modelRegistry';
import { isCosmosStatus, withoutSystemFields } from './cosmosSchema';
import { cosmosCall, cosmosError } from './cosmosErrors';

type VersionDocument = ModelVersion & { id: string; kind: 'version' };
type DeploymentDocument = DeploymentRecord & { id: string; kind: 'deployment' };

/** Model versions (`v<n>`) and deployments (`deployment:<name>`) in the `models` container, partitioned by model. */
export class CosmosModelRegistry implements ModelRegistry {
  constructor(private readonly models: Container) {}

  async createVersion(
    model: string,
    data: Omit<ModelVersion, 'model' | 'version' | 'stage' | 'createdAt'>,
    now: Date,
  ): Promise<ModelVersion> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const versions = await this.listVersions(model);
      const existing = versions.find((v) => v.lineage.instanceId === data.lineage.instanceId);
      if (existing) return existing;
      const version = Math.max(0, ...versions.map((v) => v.version)) + 1;
      const doc: VersionDocument = {
        ...data,
        id: `v${version}`,
        kind: 'version',
        model,
        version,
        stage: 'staging',
        createdAt: now.toISOString(),
      };
      try {
        await this.models.items.create(doc);
        return this.#plain(doc);
      } catch (err) {
        if (!isCosmosStatus(err, 409)) throw cosmosError(err);
      }
    }
    throw new Error(`could not register a version of ${model}: too many concurrent registrations`);
  }

  async getVersion(model: string, version: number): Promise<ModelVersion | undefined> {
    const doc = await this.#read<VersionDocument>(`v${version}`, model);
    return doc ? this.#plain(doc) : undefined;
  }

  async listVersions(model: string): Promise<ModelVersion[]> {
    const { resources } = await cosmosCall(() =>
      this.models.items
        .query<VersionDocument>(
          { query: "SELECT * FROM c WHERE c.model = @m AND c.kind = 'version'", parameters: [{ name: '@m', value: model }] },
          { partitionKey: model },
        )
        .fetchAll(),
    );
    return resources.map((d) => this.#plain(d)).sort((a, b) => a.version - b.version);
  }

  async listModels(): Promise<string[]> {
    const { resources } = await cosmosCall(() =>
      this.models.items.query<{ model: string }>("SELECT c.model FROM c WHERE c.kind = 'version'").fetchAll(),
    );
    return [...new Set(resources.map((r) => r.model))].sort();
  }

  async getProduction(model: string): Promise<ModelVersion | undefined> {
    return (await this.listVersions(model)).find((v) => v.stage === 'production');
  }

  async promote(model: string, version: number, now: Date): Promise<{ previous?: number }> {
    const target = await this.#read<VersionDocument>(`v${version}`, model);
    if (!target) throw Object.assign(new Error(`model ${model} has no version ${version}`), { code: 'REGISTRY.NOT_FOUND' });
    const current = (await this.listVersions(model)).filter((v) => v.stage === 'production' && v.version !== version);
    await this.#replace({ ...target, stage: 'production', promotedAt: now.toISOString() });
    for (const previous of current) {
      const doc = await this.#read<VersionDocument>(`v${previous.version}`, model);
      if (doc) await this.#replace({ ...doc, stage: 'archived' });
    }
    return { previous: current[0]?.version };
  }

  async upsertDeployment(record: DeploymentRecord): Promise<void> {
    const doc: DeploymentDocument = { ...record, id: `deployment:${record.name}`, kind: 'deployment' };
    await cosmosCall(() => this.models.items.upsert(doc));
  }

  async getDeployment(model: string, name: string): Promise<DeploymentRecord | undefined> {
    const doc = await this.#read<DeploymentDocument>(`deployment:${name}`, model);
    return doc ? this.#plainDeployment(doc) : undefined;
  }

  async listDeployments(model: string): Promise<DeploymentRecord[]> {
    const { resources } = await cosmosCall(() =>
      this.models.items
        .query<DeploymentDocument>(
          { query: "SELECT * FROM c WHERE c.model = @m AND c.kind = 'deployment'", parameters: [{ name: '@m', value: model }] },
          { partitionKey: model },
        )
        .fetchAll(),
    );
    return resources.map((d) => this.#plainDeployment(d)).sort((a, b) => a.version - b.version);
  }

  async #replace(doc: VersionDocument & { _etag?: string }): Promise<void> {
    const { _etag, ...body } = doc;
    await cosmosCall(() =>
      this.models
        .item(doc.id, doc.model)
        .replace(
          withoutSystemFields<VersionDocument>(body),
          _etag ? { accessCondition: { type: 'IfMatch', condition: _etag } } : undefined,
        ),
    );
  }

  async #read<T>(id: string, model: string): Promise<(T & { _etag?: string }) | undefined> {
    try {
      const { resource } = await this.models.item(id, model).read<T & { _etag?: string }>();
      return resource;
    } catch (err) {
      if (isCosmosStatus(err, 404)) return undefined;
      throw cosmosError(err);
    }
  }

  #plain(doc: VersionDocument): ModelVersion {
    return withoutSystemFields<ModelVersion>(doc, 'id', 'kind');
  }

  #plainDeployment(doc: DeploymentDocument): DeploymentRecord {
    return withoutSystemFields<DeploymentRecord>(doc, 'id', 'kind');
  }
}
