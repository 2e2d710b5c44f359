import { Container } from '@azure/cosmos';
import { PipelineClaim, RunClaims } from '../../ports/runClaims';
import { PipelineRun } from '../../ports/runStore';
import { isCosmosStatus, withoutSystemFields } from './cosmosSchema';
import { cosmosCall, cosmosError } from './cosmosErrors';

/** The claim's document id in the pipeline's partition of the `runs` container; no run's instance id has this form. */
const claimId = 'claim';

interface ClaimDocument extends PipelineClaim {
  id: string;
  pipeline: string;
  kind: 'claim';
  _etag?: string;
}

/** Claims as one document per pipeline beside its runs, written with `ifMatch` on the ETag read (or created once). */
export class CosmosRunClaims implements RunClaims {
  constructor(private readonly runs: Container) {}

  async claim(pipeline: string, wanted: PipelineClaim, canReplace: (current: PipelineClaim) => Promise<boolean>): Promise<PipelineClaim> {
    const document: ClaimDocument = { id: claimId, pipeline, kind: 'claim', ...wanted };
    for (;;) {
      const current = await this.#read(pipeline);
      if (!current) {
        if (await this.#write(() => this.runs.items.create(document), 409)) return wanted;
        continue;
      }
      const holder: PipelineClaim = { instanceId: current.instanceId, token: current.token, claimedAt: current.claimedAt };
      if (holder.token === wanted.token || !(await canReplace(holder))) return holder;
      const replaced = await this.#write(
        () => this.runs.item(claimId, pipeline).replace(document, { accessCondition: { type: 'IfMatch', condition: current._etag ?? '' } }),
        412,
      );
      if (replaced) return wanted;
    }
  }

  async listRunningRuns(): Promise<PipelineRun[]> {
    const { resources } = await cosmosCall(() =>
      this.runs.items.query<PipelineRun>("SELECT * FROM c WHERE c.kind = 'pipeline' AND c.status = 'running'").fetchAll(),
    );
    return resources.map((r) => withoutSystemFields<PipelineRun>(r, 'id', 'kind'));
  }

  async #read(pipeline: string): Promise<ClaimDocument | undefined> {
    try {
      return (await this.runs.item(claimId, pipeline).read<ClaimDocument>()).resource;
    } catch (err) {
      if (isCosmosStatus(err, 404)) return undefined;
      throw cosmosError(err);
    }
  }

  /** True when the write landed; false when another writer got there first (`lostStatus`), so the caller re-reads. */
  async #write(write: () => Promise<unknown>, lostStatus: number): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (err) {
      if (isCosmosStatus(err, lostStatus)) return false;
      throw cosmosError(err);
    }
  }
}
