import { api } from '../api';
import { chart, ChartOption } from '../charts';
import { h, link, message, replaceChildren, section, table } from '../dom';
import { duration, fixed, params } from '../format';
import { register } from '../router';
import type { LeaderboardRow } from '../types';

const metrics = ['accuracy', 'classAverageAccuracy', 'macroRocAuc'];
const key = (row: LeaderboardRow) => `${row.instanceId}/${row.candidateId}`;

/** Hyper-parameters against the metric: one axis per numeric parameter, the metric last. */
function parallelOption(rows: LeaderboardRow[], metric: string): ChartOption {
  const names = [...new Set(rows.flatMap((r) => Object.keys(r.params).filter((k) => typeof r.params[k] === 'number')))].sort();
  const classifiers = [...new Set(rows.map((r) => r.classifier))];
  return {
    tooltip: {},
    legend: { top: 0, data: classifiers },
    parallel: { left: 60, right: 80, top: 48, bottom: 32 },
    parallelAxis: [
      { dim: 0, name: 'classifier', type: 'category', data: classifiers },
      ...names.map((name, i) => ({ dim: i + 1, name })),
      { dim: names.length + 1, name: metric, scale: true },
    ],
    series: classifiers.map((classifier) => ({
      type: 'parallel',
      name: classifier,
      lineStyle: { width: 2, opacity: 0.7 },
      data: rows
        .filter((r) => r.classifier === classifier)
        .map((r) => [classifier, ...names.map((n) => (typeof r.params[n] === 'number' ? (r.params[n] as number) : null)), r.value]),
    })) as ChartOption['series'],
  };
}

register('/pipelines/:name/compare', 'Compare candidates', async (root, route) => {
  const pipeline = route.params.name;
  let metric = route.query.get('metric') ?? 'accuracy';
  const selected = new Set<string>();
  const board = h('div');
  const sideBySide = h('div', { id: 'side-by-side' });
  const picker = h(
    'select',
    {
      id: 'compare-metric',
      onchange: (event: Event) => {
        metric = (event.target as HTMLSelectElement).value;
        void load();
      },
    },
    metrics.map((m) => h('option', { value: m, selected: m === metric }, m)),
  );
  const parallel = chart('Hyper-parameters against the metric, one line per candidate', parallelOption([], metric), 340);
  let rows: LeaderboardRow[] = [];

  const drawSideBySide = () => {
    const chosen = rows.filter((r) => selected.has(key(r)));
    if (chosen.length < 2) {
      replaceChildren(sideBySide, message('Select two or more candidates in the leaderboard to compare them side by side.'));
      return;
    }
    const fields: [string, (r: LeaderboardRow) => Node | string][] = [
      ['Run', (r) => r.instanceId.split('--').pop() ?? r.instanceId],
      ['Classifier', (r) => r.classifier],
      ['Featurizer', (r) => r.featurizer],
      ['Parameters', (r) => params(r.params)],
      [metric, (r) => fixed(r.value)],
      ['Accuracy', (r) => fixed(r.accuracy)],
      ['Class-average accuracy', (r) => fixed(r.classAverageAccuracy)],
      ['Duration', (r) => duration(r.durationSeconds)],
    ];
    replaceChildren(
      sideBySide,
      table(
        'Selected candidates side by side',
        ['', ...chosen.map((r) => r.candidateId)],
        fields.map(([label, value]) => [h('strong', {}, label), ...chosen.map(value)]),
      ),
    );
  };

  const load = async () => {
    rows = (await api.leaderboard(pipeline, metric, 200)).leaderboard;
    parallel.update(parallelOption(rows, metric));
    replaceChildren(
      board,
      table(
        `Leaderboard of ${pipeline} by ${metric}, best first`,
        ['Compare', 'Rank', 'Candidate', 'Run', 'Classifier', 'Parameters', metric, 'Duration'],
        rows.map((r, i) => [
          h('input', {
            type: 'checkbox',
            'aria-label': `compare ${r.candidateId} of ${r.instanceId}`,
            checked: selected.has(key(r)),
            onchange: (event: Event) => {
              if ((event.target as HTMLInputElement).checked) selected.add(key(r));
              else selected.delete(key(r));
              drawSideBySide();
            },
          }),
          String(i + 1),
          link(
            `/pipelines/${encodeURIComponent(pipeline)}/runs/${encodeURIComponent(r.instanceId)}/candidates/${encodeURIComponent(r.candidateId)}`,
            r.candidateId,
          ),
          link(
            `/pipelines/${encodeURIComponent(pipeline)}/runs/${encodeURIComponent(r.instanceId)}`,
            r.instanceId.split('--').pop() ?? r.instanceId,
          ),
          r.classifier,
          params(r.params),
          fixed(r.value),
          duration(r.durationSeconds),
        ]),
        { id: 'leaderboard' },
      ),
    );
    drawSideBySide();
  };

  root.append(
    h(
      'nav',
      { class: 'crumbs', 'aria-label': 'Breadcrumb' },
      link('/', 'Pipelines'),
      ' / ',
      link(`/pipelines/${encodeURIComponent(pipeline)}`, pipeline),
      ' / compare',
    ),
    h('h1', {}, `Compare candidates of ${pipeline}`),
    h('div', { class: 'controls' }, h('label', { for: 'compare-metric' }, 'Metric'), picker),
    section('Leaderboard', board),
    section('Side by side', sideBySide),
    section('Parameters against the metric', parallel.figure),
  );
  await load();
});
