import { createHash } from 'node:crypto';
import { Container } from '@azure/cosmos';
import { PipelineSpec } from '../../domain/pipelineSpec';
import { SpecStore, StoredSpec } from '../../ports/specStore';
import { isCosmosStatus, withoutSystemFields } from './cosmosSchema';
import { cosmosCall, cosmosError } from './cosmosErrors';

interface SpecDocument extends StoredSpec {
  id: string;
  specHash: string;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

const hashOf = (spec: PipelineSpec): string =>
  createHash('sha256')
    .update(JSON.stringify(canonical(spec)))
    .digest('hex');

/** Specs in the `specs` container: one document per version, `v<version>`, partitioned by name. */
export class CosmosSpecStore implements SpecStore {
  constructor(private readonly specs: Container) {}

  async save(spec: PipelineSpec, now: Date): Promise<StoredSpec> {
    const specHash = hashOf(spec);
    for (let attempt = 0; attempt < 5; attempt++) {
      const latest = await this.#latest(spec.name);
      if (latest && latest.specHash === specHash) return this.#stored(latest);
      const version = (latest?.version ?? 0) + 1;
      const doc: SpecDocument = { id: `v${version}`, name: spec.name, version, spec, specHash, createdAt: now.toISOString() };
      try {
        await this.specs.items.create(doc);
        return this.#stored(doc);
      } catch (err) {
        // Someone saved the same version first: look again.
        if (!isCosmosStatus(err, 409)) throw cosmosError(err);
      }
    }
    throw new Error(`could not save a new version of spec ${spec.name}: too many concurrent saves`);
  }

  async get(name: string, version?: number): Promise<StoredSpec | undefined> {
    if (version === undefined) {
      const latest = await this.#latest(name);
      return latest ? this.#stored(latest) : undefined;
    }
    try {
      const { resource } = await this.specs.item(`v${version}`, name).read<SpecDocument>();
      return resource ? this.#stored(resource) : undefined;
    } catch (err) {
      if (isCosmosStatus(err, 404)) return undefined;
      throw cosmosError(err);
    }
  }

  async list(): Promise<StoredSpec[]> {
    const { resources } = await cosmosCall(() => this.specs.items.query<SpecDocument>('SELECT * FROM c').fetchAll());
    const latest = new Map<string, SpecDocument>();
    for (const doc of resources) {
      const current = latest.get(doc.name);
      if (!current || current.version < doc.version) latest.set(doc.name, doc);
    }
    return [...latest.values()].sort((a, b) => a.name.localeCompare(b.name)).map((d) => this.#stored(d));
  }

  async #latest(name: string): Promise<SpecDocument | undefined> {
    const { resources } = await cosmosCall(() =>
      this.specs.items
        .query<SpecDocument>(
          { query: 'SELECT TOP 1 * FROM c WHERE c.name = @n ORDER BY c.version DESC', parameters: [{ name: '@n', value: name }] },
          { partitionKey: name },
        )
        .fetchAll(),
    );
    return resources[0];
  }

  #stored(doc: SpecDocument): StoredSpec {
    const { name, version, spec, createdAt } = withoutSystemFields<SpecDocument>(doc);
    return { name, version, spec, createdAt };
  }
}
