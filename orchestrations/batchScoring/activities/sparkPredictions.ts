import { BlobStore } from '../../../shared/ports/blobStore';
import { BlobLocation } from '../contracts';
import { parsePredictionCsv, PredictionRow } from '../predictionCsv';

/**
 * The rows `batch_score` wrote (CSV part files under `predictions/`), keyed by the path of each
 * image relative to the folder the job read — which is the blob name relative to the source prefix.
 */
export class SparkPredictions {
  private constructor(private readonly byPath: Map<string, PredictionRow>) {}

  static async read(blobs: BlobStore, jobOutput: BlobLocation, labels: string[]): Promise<SparkPredictions> {
    const byPath = new Map<string, PredictionRow>();
    const folder = `${jobOutput.prefix}predictions/`;
    let continuation: string | undefined;
    do {
      const page = await blobs.list(jobOutput.container, folder, { continuation });
      for (const part of page.items.filter((item) => item.name.endsWith('.csv'))) {
        const text = (await blobs.get({ container: jobOutput.container, name: part.name }))?.toString('utf8') ?? '';
        for (const row of parsePredictionCsv(text, labels, 'path')) byPath.set(row.blob, row);
      }
      continuation = page.next;
    } while (continuation);
    return new SparkPredictions(byPath);
  }

  get size(): number {
    return this.byPath.size;
  }

  /**
   * The job reports absolute paths (`file:/…/inputs/<key>/a/b.png` locally, `wasbs://…/a/b.png` on a
   * cluster). The folder it read is found once from a blob known to be in it: the shortest path ending in its relative name.
   */
  rootFor(relativeNames: string[]): string | undefined {
    for (const relative of relativeNames) {
      let best: string | undefined;
      for (const path of this.byPath.keys())
        if (path.endsWith(`/${relative}`) && (best === undefined || path.length < best.length)) best = path;
      if (best !== undefined) return best.slice(0, best.length - relative.length);
    }
    return undefined;
  }

  get(root: string, relative: string): PredictionRow | undefined {
    return this.byPath.get(`${root}${relative}`);
  }
}
