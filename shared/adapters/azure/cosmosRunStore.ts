import { Container } from '@azure/cosmos';
import { CandidateRun, PipelineRun, RunStore } from '../../ports/runStore';
import { isCosmosStatus, withoutSystemFields } from './cosmosSchema';
import { cosmosCall, cosmosError } from './cosmosErrors';

/** Run history in the `runs` container, partitioned by pipeline. */
export class CosmosRunStore implements RunStore {
  constructor(private readonly runs: Container) {}

  async upsertPipelineRun(run: PipelineRun): Promise<void> {
    await cosmosCall(() => this.runs.items.upsert({ ...run, id: run.instanceId, kind: 'pipeline' }));
  }

  async getPipelineRun(pipeline: string, instanceId: string): Promise<PipelineRun | undefined> {
    return this.#read<PipelineRun>(instanceId, pipeline);
  }

  async listPipelineRuns(
    pipeline: string,
    options: { top?: number; continuation?: string } = {},
  ): Promise<{ items: PipelineRun[]; next?: string }> {
    const iterator = this.runs.items.query<PipelineRun>(
      {
        query: "SELECT * FROM c WHERE c.pipeline = @p AND c.kind = 'pipeline' ORDER BY c.startedAt DESC",
        parameters: [{ name: '@p', value: pipeline }],
      },
      { partitionKey: pipeline, maxItemCount: options.top ?? 50, continuationToken: options.continuation },
    );
    const page = await cosmosCall(() => iterator.fetchNext());
    return {
      items: page.resources.map((r) => withoutSystemFields<PipelineRun>(r, 'id', 'kind')),
      next: page.continuationToken ?? undefined,
    };
  }

  async upsertCandidateRun(run: CandidateRun): Promise<void> {
    await cosmosCall(() => this.runs.items.upsert({ ...run, id: `${run.instanceId}:${run.candidateId}`, kind: 'candidate' }));
  }

  async getCandidateRun(pipeline: string, instanceId: string, candidateId: string): Promise<CandidateRun | undefined> {
    return this.#read<CandidateRun>(`${instanceId}:${candidateId}`, pipeline);
  }

  async listCandidateRuns(pipeline: string, instanceId?: string): Promise<CandidateRun[]> {
    const filter = instanceId ? ' AND c.instanceId = @i' : '';
    const { resources } = await cosmosCall(() =>
      this.runs.items
        .query<CandidateRun>(
          {
            query: `SELECT * FROM c WHERE c.pipeline = @p AND c.kind = 'candidate'${filter}`,
            parameters: [
              { name: '@p', value: pipeline },
              { name: '@i', value: instanceId ?? '' },
            ],
          },
          { partitionKey: pipeline },
        )
        .fetchAll(),
    );
    return resources.map((r) => withoutSystemFields<CandidateRun>(r, 'id', 'kind'));
  }

  async #read<T>(id: string, pipeline: string): Promise<T | undefined> {
    try {
      const { resource } = await this.runs.item(id, pipeline).read<T & Record<string, unknown>>();
      return resource ? withoutSystemFields<T>(resource, 'id', 'kind') : undefined;
    } catch (err) {
      if (isCosmosStatus(err, 404)) return undefined;
      throw cosmosError(err);
    }
  }
}
