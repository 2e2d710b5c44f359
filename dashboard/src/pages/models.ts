import { api } from '../api';
import { chart, ChartOption, palette } from '../charts';
import { confirmAction } from '../confirm';
import { h, link, message, replaceChildren, section, statusBadge, table } from '../dom';
import { fixed, time } from '../format';
import { register } from '../router';
import type { Deployment, SeriesPoint } from '../types';

register('/models', 'Models', async (root) => {
  root.append(h('h1', {}, 'Models'));
  const { models } = await api.models();
  if (models.length === 0) {
    root.append(message('No model registered yet: a successful pipeline run registers one.'));
    return;
  }
  root.append(
    table(
      'Registered models',
      ['Model', 'Production version', 'Versions', ''],
      models.map((m) => [
        link(`/models/${encodeURIComponent(m.model)}`, m.model),
        m.productionVersion ? `v${m.productionVersion}` : '—',
        String(m.versions),
        link(`/try?model=${encodeURIComponent(m.model)}`, `Try ${m.model}`),
      ]),
      { id: 'models' },
    ),
  );
});

function seriesOption(
  title: string,
  deployments: { deployment: string; points: SeriesPoint[] }[],
  value: (p: SeriesPoint) => number,
): ChartOption {
  return {
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 48, right: 16, top: 32, bottom: 32 },
    xAxis: { type: 'time' },
    yAxis: { type: 'value', name: title },
    series: deployments.map((d, i) => ({
      type: 'line',
      name: d.deployment,
      color: palette[i % palette.length],
      data: d.points.map((p) => [p.minute, value(p)]),
    })),
  };
}

register('/models/:name', 'Model', async (root, route) => {
  const model = route.params.name;
  const feedback = h('p', { role: 'status', id: 'model-feedback', class: 'muted' });
  const versionsBox = h('div');
  const deploymentsBox = h('div');
  const chartsBox = h('div', { class: 'grid-2' });

  const act = async (question: string, label: string, action: () => Promise<unknown>, done: string) => {
    if (!(await confirmAction(question, label))) return;
    try {
      await action();
      await load();
      feedback.textContent = done;
    } catch (err) {
      feedback.textContent = `${label} failed: ${(err as Error).message}`;
    }
  };

  const trafficForm = (deployments: Deployment[]) => {
    const healthy = deployments.filter((d) => d.state === 'healthy');
    const inputs = healthy.map((d) =>
      h('input', { type: 'number', min: 0, max: 100, step: 1, value: d.trafficPercent, id: `traffic-${d.name}`, name: d.name }),
    );
    return h(
      'form',
      {
        id: 'traffic-form',
        class: 'traffic',
        onsubmit: (event: Event) => {
          event.preventDefault();
          const split = Object.fromEntries(inputs.map((input) => [input.name, Number(input.value)]));
          const summary = Object.entries(split)
            .map(([n, p]) => `${n} ${p} %`)
            .join(', ');
          void act(
            `Set the traffic split of ${model} to ${summary}?`,
            'Set traffic',
            () => api.setTraffic(model, split),
            `Traffic set: ${summary}`,
          );
        },
      },
      h(
        'fieldset',
        {},
        h('legend', {}, 'Traffic split (percent, adding up to 100)'),
        healthy.map((d, i) => h('div', { class: 'field' }, h('label', { for: inputs[i].id }, `${d.name} (v${d.version})`), inputs[i])),
      ),
      h('button', { type: 'submit' }, 'Set traffic split'),
    );
  };

  const load = async () => {
    const [{ versions, deployments }, series] = await Promise.all([api.model(model), api.series(model, 60)]);
    const deployed = new Set(deployments.filter((d) => d.state === 'healthy').map((d) => d.version));
    replaceChildren(
      versionsBox,
      table(
        `Versions of ${model} with their lineage`,
        ['Version', 'Stage', 'Accuracy', 'Run', 'Candidate', 'Data snapshot', 'Code', 'Created', ''],
        versions
          .slice()
          .sort((a, b) => b.version - a.version)
          .map((v) => [
            `v${v.version}`,
            statusBadge(v.stage),
            fixed(v.metrics.accuracy),
            link(
              `/pipelines/${encodeURIComponent(v.lineage.pipeline)}/runs/${encodeURIComponent(v.lineage.instanceId)}`,
              v.lineage.instanceId.split('--').pop() ?? v.lineage.instanceId,
            ),
            link(
              `/pipelines/${encodeURIComponent(v.lineage.pipeline)}/runs/${encodeURIComponent(v.lineage.instanceId)}/candidates/${encodeURIComponent(v.lineage.candidateId)}`,
              v.lineage.candidateId,
            ),
            h('span', { class: 'mono clip', title: v.lineage.dataSnapshot }, v.lineage.dataSnapshot),
            h('span', { class: 'mono' }, (v.lineage.jobCodeSha256 ?? '').slice(0, 12) || '—'),
            time(v.createdAt),
            v.stage !== 'production' && deployed.has(v.version)
              ? h(
                  'button',
                  {
                    type: 'button',
                    class: 'secondary',
                    'data-promote': v.version,
                    onclick: () =>
                      void act(
                        `Promote ${model} v${v.version} to production and send it all traffic?`,
                        'Promote',
                        () => api.promote(model, v.version),
                        `v${v.version} promoted`,
                      ),
                  },
                  `Promote v${v.version}`,
                )
              : '',
          ]),
        { id: 'versions' },
      ),
    );
    replaceChildren(
      deploymentsBox,
      table(
        `Deployments of ${model}`,
        ['Deployment', 'Version', 'Target', 'State', 'Endpoint', 'Traffic', 'Requests (1 h)', 'Errors', 'p50 ms', 'p99 ms'],
        deployments.map((d) => [
          d.name,
          `v${d.version}`,
          d.target,
          statusBadge(d.state),
          h('span', { class: 'mono clip' }, d.endpoint ?? '—'),
          h('span', { 'data-traffic': d.name }, `${d.trafficPercent} %`),
          String(d.metrics?.requests ?? 0),
          String(d.metrics?.errors ?? 0),
          fixed(d.metrics?.p50LatencyMs, 1),
          fixed(d.metrics?.p99LatencyMs, 1),
        ]),
        { id: 'deployments' },
      ),
      deployments.some((d) => d.state === 'healthy') ? trafficForm(deployments) : message('No healthy deployment to route traffic to.'),
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          id: 'rollback',
          onclick: () =>
            void act(`Roll ${model} back to the previous production version?`, 'Roll back', () => api.rollback(model), 'Rolled back'),
        },
        'Roll back to the previous version',
      ),
    );
    const scored = series.deployments.some((d) => d.points.some((p) => p.requests > 0));
    if (!scored) {
      replaceChildren(chartsBox, message('No scoring request in the last hour.'));
      return;
    }
    replaceChildren(
      chartsBox,
      chart(
        'Requests per minute',
        seriesOption('requests', series.deployments, (p) => p.requests),
        220,
      ).figure,
      chart(
        'Errors per minute',
        seriesOption('errors', series.deployments, (p) => p.errors),
        220,
      ).figure,
      chart(
        'Median latency per minute (ms)',
        seriesOption('p50 ms', series.deployments, (p) => p.p50LatencyMs),
        220,
      ).figure,
      chart(
        '99th percentile latency per minute (ms)',
        seriesOption('p99 ms', series.deployments, (p) => p.p99LatencyMs),
        220,
      ).figure,
    );
  };

  root.append(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, link('/models', 'Models'), ' / ', model),
    h('h1', {}, `Model ${model}`),
    h('p', {}, link(`/try?model=${encodeURIComponent(model)}`, `Try ${model} →`)),
    feedback,
    section('Deployments and traffic', deploymentsBox),
    section('Versions', versionsBox),
    section('Scoring, last hour', chartsBox),
  );
  await load();
});
