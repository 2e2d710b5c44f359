import { BatchScoringInput, outputFiles } from '../../orchestrations/batchScoring/contracts';
import { parsePredictionCsv, PredictionRow } from '../../orchestrations/batchScoring/predictionCsv';
import { BlobStore } from '../../shared/ports/blobStore';

export interface GalleryItem {
  blob: string;
  predicted: string | null;
  probability: number | null;
  probabilities: Record<string, number> | null;
  /** The label folder the image sits in (`…/<label>/<file>`), when it names one of the model's labels. */
  trueLabel: string | null;
  correct: boolean | null;
  error: string | null;
}

export interface Gallery {
  items: GalleryItem[];
  total: number;
  labelled: number;
  misclassified: number;
  distribution: Record<string, number>;
}

async function predictionRows(blobs: BlobStore, input: BatchScoringInput): Promise<PredictionRow[]> {
  const pagesPrefix = `${input.output.prefix}${outputFiles.page(0).split('/')[0]}/`;
  const rows: PredictionRow[] = [];
  let continuation: string | undefined;
  do {
    const page = await blobs.list(input.output.container, pagesPrefix, { pageSize: 1000, continuation });
    const texts = await Promise.all(page.items.map((item) => blobs.get({ container: input.output.container, name: item.name })));
    for (const text of texts) if (text) rows.push(...parsePredictionCsv(text.toString('utf8'), input.labels));
    continuation = page.next;
  } while (continuation);
  return rows;
}

function galleryItem(row: PredictionRow, labels: string[]): GalleryItem {
  const folder = row.blob.split('/').slice(-2, -1)[0];
  const trueLabel = folder !== undefined && labels.includes(folder) ? folder : null;
  const probabilities = row.probabilities ? Object.fromEntries(labels.map((l, k) => [l, row.probabilities![k]])) : null;
  const predicted = row.label ?? null;
  return {
    blob: row.blob,
    predicted,
    probability: predicted && probabilities ? probabilities[predicted] : null,
    probabilities,
    trueLabel,
    correct: trueLabel && predicted ? trueLabel === predicted : null,
    error: row.error ?? null,
  };
}

/** Wrong first (most confident first), then right, then unlabelled, then failed; names break ties so pages are stable. */
function galleryOrder(a: GalleryItem, b: GalleryItem): number {
  const rank = (i: GalleryItem) => (i.error ? 3 : i.correct === false ? 0 : i.correct === true ? 1 : 2);
  return rank(a) - rank(b) || (b.probability ?? 0) - (a.probability ?? 0) || a.blob.localeCompare(b.blob);
}

/** Every scored image of a batch run, in gallery order, with the predicted-class distribution. */
export async function batchGallery(blobs: BlobStore, input: BatchScoringInput): Promise<Gallery> {
  const items = (await predictionRows(blobs, input)).map((row) => galleryItem(row, input.labels)).sort(galleryOrder);
  const distribution: Record<string, number> = Object.fromEntries(input.labels.map((l) => [l, 0]));
  for (const item of items) if (item.predicted) distribution[item.predicted] = (distribution[item.predicted] ?? 0) + 1;
  return {
    items,
    total: items.length,
    labelled: items.filter((i) => i.correct !== null).length,
    misclassified: items.filter((i) => i.correct === false).length,
    distribution,
  };
}
