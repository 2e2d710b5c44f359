import { api, RunsQuery } from '../api';
import { chart, ChartOption } from '../charts';
import { h, link, replaceChildren, section, statusBadge } from '../dom';
import { duration, fixed, time, usd } from '../format';
import { register } from '../router';
import type { RunRow } from '../types';

const pageSize = 50;

interface Column {
  label: string;
  /** The server's sort key: the runs are paged on the server, so sorting is too. */
  sort?: string;
  cell: (run: RunRow, pipeline: string) => Node | string;
}

const columns: Column[] = [
  {
    label: 'Run',
    cell: (r, p) =>
      link(`/pipelines/${encodeURIComponent(p)}/runs/${encodeURIComponent(r.instanceId)}`, r.instanceId.split('--').pop() ?? r.instanceId),
  },
  { label: 'Status', cell: (r) => statusBadge(r.status) },
  { label: 'Trigger', cell: (r) => r.trigger },
  { label: 'Data version', cell: (r) => h('span', { class: 'mono clip', title: r.dataVersion }, r.dataVersion) },
  { label: 'Spec', cell: (r) => `v${r.specVersion}` },
  { label: 'Started', sort: 'startedAt', cell: (r) => time(r.startedAt) },
  { label: 'Duration', cell: (r) => duration(r.durationSeconds) },
  { label: 'Cost', sort: 'costUsd', cell: (r) => usd(r.costUsd) },
  { label: 'Node-minutes', sort: 'nodeMinutes', cell: (r) => fixed(r.nodeMinutes, 1) },
  { label: 'Best', sort: 'bestValue', cell: (r) => (r.best ? `${fixed(r.best.value)} ${r.best.metric}` : '—') },
];

const metrics: [string, string][] = [
  ['spec', 'best of each run (the spec metric)'],
  ['accuracy', 'accuracy'],
  ['classAverageAccuracy', 'class-average accuracy'],
  ['macroRocAuc', 'macro ROC AUC'],
];

function historyOption(points: [string, number][], metric: string): ChartOption {
  return {
    grid: { left: 56, right: 16, top: 24, bottom: 48 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'time', name: 'run start', nameLocation: 'middle', nameGap: 30 },
    yAxis: { type: 'value', name: metric, scale: true },
    series: [{ type: 'line', name: metric, showSymbol: true, symbolSize: 7, data: points }],
  };
}

function select(id: string, options: [string, string][], onchange: (value: string) => void): HTMLSelectElement {
  return h(
    'select',
    { id, onchange: (event: Event) => onchange((event.target as HTMLSelectElement).value) },
    options.map(([value, label]) => h('option', { value }, label)),
  );
}

register('/pipelines/:name', 'Runs', async (root, route) => {
  const pipeline = route.params.name;
  let runs: RunRow[] = [];
  const q: RunsQuery = { top: pageSize, sort: 'startedAt', order: 'desc' };
  let metric = 'spec';
  const body = h('tbody');
  const headerRow = h('tr');
  const more = h('button', { type: 'button', class: 'secondary', id: 'more-runs' }, 'Load more runs');
  const countLine = h('p', { class: 'muted', role: 'status', id: 'runs-count' });
  const history = chart(`Best metric per run over time (${pipeline})`, historyOption([], metric), 260);

  const drawHistory = async () => {
    let points: [string, number][];
    if (metric === 'spec') points = runs.filter((r) => r.best).map((r) => [r.startedAt, r.best!.value]);
    else {
      const { leaderboard } = await api.leaderboard(pipeline, metric, 500);
      const best = new Map<string, number>();
      for (const row of leaderboard) best.set(row.instanceId, Math.max(best.get(row.instanceId) ?? -Infinity, row.value));
      points = runs.filter((r) => best.has(r.instanceId)).map((r) => [r.startedAt, best.get(r.instanceId)!]);
    }
    points.sort((a, b) => a[0].localeCompare(b[0]));
    history.update(historyOption(points, metrics.find(([m]) => m === metric)![1]));
  };

  const drawTable = () => {
    replaceChildren(
      headerRow,
      columns.map((column) => {
        if (!column.sort) return h('th', { scope: 'col' }, column.label);
        const active = q.sort === column.sort;
        return h(
          'th',
          { scope: 'col', 'aria-sort': active ? (q.order === 'desc' ? 'descending' : 'ascending') : 'none' },
          h(
            'button',
            {
              type: 'button',
              class: 'sort',
              onclick: () => {
                q.order = active && q.order === 'desc' ? 'asc' : 'desc';
                q.sort = column.sort;
                void reload();
              },
            },
            column.label,
            h('span', { 'aria-hidden': 'true' }, active ? (q.order === 'desc' ? ' ▼' : ' ▲') : ''),
          ),
        );
      }),
    );
    replaceChildren(
      body,
      runs.map((r) =>
        h(
          'tr',
          { 'data-instance-id': r.instanceId },
          columns.map((c) => h('td', {}, c.cell(r, pipeline))),
        ),
      ),
    );
    countLine.textContent = `${runs.length} run${runs.length === 1 ? '' : 's'} shown${q.continuation ? ', more on the server' : ''}`;
    more.hidden = !q.continuation;
  };

  const load = async () => {
    const page = await api.runs(pipeline, q);
    runs = runs.concat(page.runs);
    q.continuation = page.continuation;
    drawTable();
  };
  const reload = async () => {
    runs = [];
    q.continuation = undefined;
    await load();
    await drawHistory();
  };

  more.addEventListener('click', () => void load().then(drawHistory));
  const chooser = select('history-metric', metrics, (value) => {
    metric = value;
    void drawHistory();
  });
  const statusFilter = select(
    'runs-status',
    [['', 'any'], ...['running', 'succeeded', 'failed', 'cancelled', 'terminated'].map((s): [string, string] => [s, s])],
    (value) => {
      q.status = value || undefined;
      void reload();
    },
  );
  const triggerFilter = select(
    'runs-trigger',
    [['', 'any'], ...['http', 'blob', 'schedule'].map((s): [string, string] => [s, s])],
    (value) => {
      q.trigger = value || undefined;
      void reload();
    },
  );

  root.append(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, link('/', 'Pipelines'), ' / ', pipeline),
    h('h1', {}, `Runs of ${pipeline}`),
    h('p', {}, link(`/pipelines/${encodeURIComponent(pipeline)}/compare`, 'Compare candidates across runs →')),
    section(
      'Runs',
      h(
        'div',
        { class: 'controls' },
        h('label', { for: 'runs-status' }, 'Status'),
        statusFilter,
        h('label', { for: 'runs-trigger' }, 'Trigger'),
        triggerFilter,
      ),
      countLine,
      h(
        'div',
        { class: 'table-wrap', role: 'region', 'aria-label': 'Runs table', tabindex: 0 },
        h(
          'table',
          { id: 'runs' },
          h('caption', {}, `Runs of ${pipeline}; the column buttons sort on the server`),
          h('thead', {}, headerRow),
          body,
        ),
      ),
      more,
    ),
    section('Run history', h('div', { class: 'controls' }, h('label', { for: 'history-metric' }, 'Metric'), chooser), history.figure),
  );
  await load();
  await drawHistory();
});
