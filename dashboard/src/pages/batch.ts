import { api } from '../api';
import { chart } from '../charts';
import { h, link, message, section, statusBadge, table } from '../dom';
import { duration, percent, time } from '../format';
import { register } from '../router';

const pollMs = 3000;

register('/batch', 'Batch scoring', async (root) => {
  root.append(h('h1', {}, 'Batch scoring'));
  const { runs } = await api.batchRuns();
  if (runs.length === 0) {
    root.append(message('No batch scoring run yet: POST /api/models/{name}/batch-scoring starts one.'));
    return;
  }
  root.append(
    table(
      'Batch scoring runs, newest first',
      ['Run', 'Model', 'Via', 'Status', 'Progress', 'Started'],
      runs.map((r) => [
        link(`/batch/${encodeURIComponent(r.instanceId)}`, r.instanceId),
        `${r.model} v${r.version}`,
        r.via,
        statusBadge(r.runtimeStatus),
        r.progress ? `${r.progress.pages.done}/${r.progress.pages.total} pages, ${r.progress.images.scored} images` : '—',
        time(r.createdTime),
      ]),
      { id: 'batch-runs' },
    ),
  );
});

register('/batch/:id', 'Batch scoring run', async (root, route) => {
  const id = route.params.id;
  const run = await api.batchRun(id);
  const running = ['Running', 'Pending'].includes(run.runtimeStatus);
  if (running) {
    const timer = window.setTimeout(() => window.dispatchEvent(new HashChangeEvent('hashchange')), pollMs);
    route.onLeave(() => window.clearTimeout(timer));
  }
  const progress = run.progress;
  const pages = progress?.pages;
  root.append(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, link('/batch', 'Batch scoring'), ' / ', id),
    h('h1', {}, `Batch scoring ${id}`),
    h(
      'dl',
      { class: 'facts' },
      [
        ['Status', statusBadge(run.runtimeStatus)],
        ['Model', `${run.model} v${run.version}`],
        ['Via', run.via],
        ['Phase', progress?.phase ?? '—'],
        ['Elapsed', duration(progress?.elapsedSeconds)],
        ['Output', run.output?.url ?? '—'],
      ].map(([k, v]) => [h('dt', {}, k as string), h('dd', {}, v as Node | string)]),
    ),
    pages
      ? h(
          'div',
          { class: 'field' },
          h('label', { for: 'batch-progress' }, `Pages ${pages.done} of ${pages.total}`),
          h('progress', { id: 'batch-progress', max: Math.max(1, pages.total), value: pages.done }),
        )
      : '',
  );
  if (run.summary)
    root.append(
      section(
        'Summary',
        h(
          'p',
          { id: 'batch-summary' },
          `${run.summary.scored} of ${run.summary.total} images scored, ${run.summary.failed} failed (${run.summary.status}).`,
        ),
      ),
    );
  const distribution = run.distribution ?? run.summary?.perClass ?? {};
  const labels = Object.keys(distribution);
  if (labels.length > 0)
    root.append(
      section(
        'Predicted classes',
        chart(
          'Images per predicted class',
          {
            tooltip: {},
            grid: { left: 110, right: 24, top: 8, bottom: 32 },
            xAxis: { type: 'value' },
            yAxis: { type: 'category', inverse: true, data: labels },
            series: [{ type: 'bar', name: 'images', data: labels.map((l) => distribution[l]) }],
          },
          Math.max(200, 26 * labels.length + 40),
        ).figure,
      ),
    );
  if (run.summary) {
    const gallery = await api.gallery(id, 48);
    root.append(
      section(
        'Gallery',
        h('p', { class: 'muted' }, `${gallery.misclassified} misclassified of ${gallery.labelled} with a true label; misclassified first.`),
        h(
          'ul',
          { class: 'gallery', id: 'gallery' },
          gallery.items.map((item) =>
            h(
              'li',
              { class: item.correct === false ? 'wrong' : item.correct ? 'right' : '' },
              h('img', { src: item.imageUrl, alt: `${item.blob}`, loading: 'lazy', width: 96, height: 96 }),
              h(
                'p',
                {},
                h('strong', {}, item.predicted),
                ` ${percent(item.probability, 0)}`,
                item.trueLabel ? h('span', { class: 'muted' }, ` · true ${item.trueLabel}`) : null,
              ),
            ),
          ),
        ),
      ),
    );
  }
});
