import { api } from '../api';
import { h, link, message, statusBadge, table } from '../dom';
import { percent, time } from '../format';
import { register } from '../router';

register('/', 'Pipelines', async (root) => {
  root.append(h('h1', {}, 'Pipelines'));
  const { pipelines } = await api.pipelines();
  if (pipelines.length === 0) {
    root.append(message('No pipeline registered yet: POST a spec to /api/pipelines or run `npm run demo`.'));
    return;
  }
  const rows = pipelines.map((p) => {
    const runs = `/pipelines/${encodeURIComponent(p.name)}`;
    return [
      link(runs, p.name),
      `v${p.version} · ${p.scenario}`,
      p.lastRun
        ? h(
            'span',
            {},
            statusBadge(p.lastRun.status),
            ' ',
            link(`${runs}/runs/${encodeURIComponent(p.lastRun.instanceId)}`, time(p.lastRun.startedAt)),
          )
        : '—',
      p.schedule ?? 'on upload or HTTP',
      p.production ? link(`/models/${encodeURIComponent(p.production.model)}`, `${p.production.model} v${p.production.version}`) : '—',
      percent(p.production?.accuracy),
    ];
  });
  root.append(
    table('Every pipeline with its last run', ['Pipeline', 'Spec', 'Last run', 'Schedule', 'Production model', 'Accuracy'], rows, {
      id: 'pipelines',
    }),
  );
});
