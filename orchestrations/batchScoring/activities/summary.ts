import { outputFiles } from '../contracts';
import { formatPredictionCsv } from '../predictionCsv';
import { BatchScoringActivityDeps, BatchScoringHandlers } from './deps';
import { pageRef } from './pageFiles';

/** Beyond this many rows the combined CSV is skipped: the page files are the output. */
const maxCombinedRows = 500_000;

export function writeSummaryActivity({ blobs }: Pick<BatchScoringActivityDeps, 'blobs'>): Pick<BatchScoringHandlers, 'writeSummary'> {
  return {
    /** `summary.json` and, when not too large, `predictions.csv`: every page's rows under one header. */
    async writeSummary({ run, summary }) {
      const { output } = run;
      let combined = false;
      if (summary.status === 'succeeded' && summary.total <= maxCombinedRows) {
        const parts: string[] = [formatPredictionCsv(summary.labels, [])];
        for (let index = 0; index < summary.pages.total; index++) {
          const text = (await blobs.get(pageRef(output, index)))?.toString('utf8') ?? '';
          parts.push(text.slice(text.indexOf('\n') + 1));
        }
        await blobs.create({ container: output.container, name: `${output.prefix}${outputFiles.combined}` }, parts.join(''), {
          contentType: 'text/csv',
        });
        combined = true;
      }
      await blobs.create(
        { container: output.container, name: `${output.prefix}${outputFiles.summary}` },
        JSON.stringify({ ...summary, combinedCsv: combined ? outputFiles.combined : undefined }, null, 2),
        { contentType: 'application/json' },
      );
      return { ok: true, combined };
    },
  };
}
