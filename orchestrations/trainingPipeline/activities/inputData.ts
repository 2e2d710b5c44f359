import { Composition } from '../../../shared/composition';
import { dataSnapshot } from '../../../shared/domain/runLocations';
import { failure, HandlersOf } from '../../durable/contract';
import { specOf } from '../../hosting/runSpec';
import { pipelineActivities } from '../contracts';

type Handlers = HandlersOf<typeof pipelineActivities>;

/**
 * How copyDataPage copies (tuned with `npm run bench:copy`): pages of 5,000 — List Blobs' largest page, so two
 * listings serve 5,000 copies — with 64 copies in flight, far below an account's request rate limit.
 */
export const copySettings = {
  pageSize: 5000,
  concurrency: 64,
  // Markers such as `_READY` start runs; they are not data.
  include: (relative: string): boolean => !relative.split('/').pop()?.startsWith('_'),
};

/** The run's input: the source must hold data in the scenario's layout, and is copied into the run's snapshot. */
export function inputDataActivities({
  blobs,
  specs,
  copier,
}: Pick<Composition, 'blobs' | 'specs' | 'copier'>): Pick<Handlers, 'checkInputData' | 'copyDataPage'> {
  return {
    async checkInputData({ run }) {
      const spec = await specOf(specs, run);
      const { container, prefix } = spec.data.source;
      if (spec.scenario === 'image-classification') {
        for (const split of ['train', 'test']) {
          const page = await blobs.list(container, `${prefix}${split}/`, { pageSize: 1 });
          if (page.items.length === 0)
            return failure('DATA.MISSING', `no images under ${container}/${prefix}${split}/ (expected ${split}/<label>/<image>)`);
        }
      }
      const page = await blobs.list(container, prefix, { pageSize: 1 });
      if (page.items.length === 0) return failure('DATA.EMPTY', `no data under ${container}/${prefix}`);
      return { ok: true, blobs: page.items.length };
    },

    async copyDataPage({ run, continuation }) {
      const spec = await specOf(specs, run);
      const source = spec.data.source;
      const page = await copier(source.connection).copyPage({
        source: { container: source.container, prefix: source.prefix },
        target: dataSnapshot(run, spec),
        continuation,
        ...copySettings,
      });
      const failures = page.failures.slice(0, 10).map((f) => `${f.name} (${f.reason})`);
      return { ok: true, copied: page.copied, skipped: page.skipped, failed: page.failed, failures, next: page.next };
    },
  };
}
