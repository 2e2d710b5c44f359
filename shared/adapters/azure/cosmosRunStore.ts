import { BulkOperationType, Container, JSONObject } from '@azure/cosmos';
import { CandidateRun, PipelineRun, RunCost, RunQuery, RunSortField, RunStore, StoredMetric, storedMetrics } from '../../ports/runStore';
import { isCosmosStatus, withoutSystemFields } from './cosmosSchema';
import { cosmosCall, cosmosError } from './cosmosErrors';
import { CanopyError, permanent } from '../../errors';

/** Cosmos refuses ids with these characters (and control characters): no document can have one, so none is looked up. */
// eslint-disable-next-line no-control-regex
const storableId = /^[^/\\#?\u0000-\u001f\u007f]{1,255}$/;

/** A continuation token travels in a header: printable ASCII only. */
const printableToken = /^[\x20-\x7e]{1,4096}$/;

/** A token this store did not issue: the caller's mistake, whatever the SDK made of it. */
const invalidContinuation = (): CanopyError =>
  permanent('REQUEST.BAD_PARAMETER', 'continuation is not a token from an earlier page of this list');

/** Cosmos itself failing (throttled, unavailable): worth retrying, unlike a token it could not read. */
const isServiceFault = (err: unknown): boolean => err instanceof CanopyError && err.transient && err.code.startsWith('COSMOS.');

/** Sortable fields by their document path; a name from this table is all that reaches the query text. */
const sortPaths: Record<RunSortField, string> = {
  startedAt: 'c.startedAt',
  costUsd: 'c.costUsd',
  nodeMinutes: 'c.nodeMinutes',
  bestValue: 'c.best["value"]',
};

const pipelineDocument = (run: PipelineRun) => ({ ...run, id: run.instanceId, kind: 'pipeline' });
const candidateDocument = (run: CandidateRun) => ({ ...run, id: `${run.instanceId}:${run.candidateId}`, kind: 'candidate' });

/** Cosmos DB's limits on one transactional batch: 100 operations, 2 MB of request. */
const maxBatchOperations = 100;
const maxBatchBytes = 1_500_000;

function batches<T>(documents: T[]): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const document of documents) {
    const size = Buffer.byteLength(JSON.stringify(document));
    if (current.length > 0 && (current.length === maxBatchOperations || bytes + size > maxBatchBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(document);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Run history in the `runs` container, partitioned by pipeline. */
export class CosmosRunStore implements RunStore {
  constructor(private readonly runs: Container) {}

  async upsertPipelineRun(run: PipelineRun): Promise<void> {
    await cosmosCall(() => this.runs.items.upsert(pipelineDocument(run)));
  }

  async importRuns(pipeline: string, records: { runs: PipelineRun[]; candidates: CandidateRun[] }): Promise<void> {
    const documents = [...records.runs.map(pipelineDocument), ...records.candidates.map(candidateDocument)];
    if (documents.some((d) => d.pipeline !== pipeline))
      throw permanent('RUN.IMPORT_INVALID', `an import holds the records of one pipeline (${pipeline}) only`);
    for (const chunk of batches(documents)) {
      const response = await cosmosCall(() =>
        this.runs.items.batch(
          // Records are plain JSON (the port's types allow only JSON values); the SDK's JSONObject type cannot see that.
          chunk.map((document) => ({
            operationType: BulkOperationType.Upsert,
            // Named on each operation too: the local emulator reads it there.
            partitionKey: pipeline,
            resourceBody: document as unknown as JSONObject,
          })),
          pipeline,
        ),
      );
      const failed = response.result?.find((r) => r.statusCode >= 400);
      if (failed) throw cosmosError(Object.assign(new Error(`batch upsert answered ${failed.statusCode}`), { code: failed.statusCode }));
    }
  }

  async getPipelineRun(pipeline: string, instanceId: string): Promise<PipelineRun | undefined> {
    return this.#read<PipelineRun>(instanceId, pipeline);
  }

  async listPipelineRuns(pipeline: string, options: RunQuery = {}): Promise<{ items: PipelineRun[]; next?: string }> {
    const sortPath = sortPaths[options.sortBy ?? 'startedAt'];
    const filters = [
      'c.pipeline = @p',
      "c.kind = 'pipeline'",
      ...(options.status ? ['c.status = @status'] : []),
      ...(options.trigger ? ['c.trigger = @trigger'] : []),
      ...(options.sortBy === 'nodeMinutes' || options.sortBy === 'bestValue' ? [`IS_DEFINED(${sortPath})`] : []),
    ];
    const iterator = this.runs.items.query<PipelineRun>(
      {
        query: `SELECT * FROM c WHERE ${filters.join(' AND ')} ORDER BY ${sortPath} ${options.order === 'asc' ? 'ASC' : 'DESC'}`,
        parameters: [
          { name: '@p', value: pipeline },
          { name: '@status', value: options.status ?? '' },
          { name: '@trigger', value: options.trigger ?? '' },
        ],
      },
      { partitionKey: pipeline, maxItemCount: options.top ?? 50, continuationToken: options.continuation },
    );
    if (options.continuation !== undefined && !printableToken.test(options.continuation)) throw invalidContinuation();
    const page = await cosmosCall(() => iterator.fetchNext()).catch((err: unknown) => {
      throw options.continuation === undefined || isServiceFault(err) ? err : invalidContinuation();
    });
    return {
      items: page.resources.map((r) => withoutSystemFields<PipelineRun>(r, 'id', 'kind')),
      next: page.continuationToken ?? undefined,
    };
  }

  async listRunCosts(pipeline: string, since: Date): Promise<RunCost[]> {
    const { resources } = await cosmosCall(() =>
      this.runs.items
        .query<RunCost>(
          {
            query:
              'SELECT c.pipeline, c.instanceId, c.startedAt, c.status, c.costUsd, c.nodeMinutes FROM c ' +
              "WHERE c.pipeline = @p AND c.kind = 'pipeline' AND c.startedAt >= @since ORDER BY c.startedAt ASC",
            parameters: [
              { name: '@p', value: pipeline },
              { name: '@since', value: since.toISOString() },
            ],
          },
          { partitionKey: pipeline },
        )
        .fetchAll(),
    );
    return resources;
  }

  async upsertCandidateRun(run: CandidateRun): Promise<void> {
    await cosmosCall(() => this.runs.items.upsert(candidateDocument(run)));
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

  async topCandidateRuns(pipeline: string, metric: StoredMetric, top: number): Promise<CandidateRun[]> {
    const metricPath = `c.metrics.${storedMetrics.includes(metric) ? metric : 'accuracy'}`;
    const { resources } = await cosmosCall(() =>
      this.runs.items
        .query<CandidateRun>(
          {
            query:
              `SELECT TOP @top * FROM c WHERE c.pipeline = @p AND c.kind = 'candidate' AND c.status = 'succeeded' ` +
              `AND IS_NUMBER(${metricPath}) ORDER BY ${metricPath} DESC`,
            parameters: [
              { name: '@p', value: pipeline },
              { name: '@top', value: top },
            ],
          },
          { partitionKey: pipeline },
        )
        .fetchAll(),
    );
    return resources.map((r) => withoutSystemFields<CandidateRun>(r, 'id', 'kind'));
  }

  async #read<T>(id: string, pipeline: string): Promise<T | undefined> {
    if (!storableId.test(id)) return undefined;
    try {
      const { resource } = await this.runs.item(id, pipeline).read<T & Record<string, unknown>>();
      return resource ? withoutSystemFields<T>(resource, 'id', 'kind') : undefined;
    } catch (err) {
      if (isCosmosStatus(err, 404)) return undefined;
      throw cosmosError(err);
    }
  }
}
