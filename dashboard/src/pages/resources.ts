import { api } from '../api';
import { chart } from '../charts';
import { h, link, message, replaceChildren, section, table } from '../dom';
import { duration, time, usd } from '../format';
import { register } from '../router';
import type { ResourceItem } from '../types';

function countdown(item: ResourceItem, elapsed: number): string {
  if (item.expiresInSeconds === undefined) return '—';
  const left = item.expiresInSeconds - elapsed;
  return left <= 0 ? 'expired: the reaper deletes it' : duration(left);
}

register('/resources', 'Resources and cost', async (root, route) => {
  const [{ resources, lastReaperPass }, { runs }] = await Promise.all([api.resources(), api.cost(30)]);
  const loadedAt = Date.now();
  const alive = h('div');
  const draw = () => {
    const elapsed = (Date.now() - loadedAt) / 1000;
    replaceChildren(
      alive,
      resources.length === 0
        ? message('Nothing is alive: no cluster, deployment or staging area.')
        : table(
            'Alive now',
            ['Resource', 'Kind', 'Owner run', 'Age', 'Expires in', 'Cost so far'],
            resources.map((r) => [
              r.name,
              r.kind,
              r.pipeline && r.instanceId
                ? link(`/pipelines/${encodeURIComponent(r.pipeline)}/runs/${encodeURIComponent(r.instanceId)}`, r.instanceId)
                : '—',
              duration((r.ageSeconds ?? 0) + elapsed),
              countdown(r, elapsed),
              usd(r.costUsdSoFar ?? undefined),
            ]),
            { id: 'resources' },
          ),
    );
  };
  const timer = window.setInterval(draw, 1000);
  route.onLeave(() => window.clearInterval(timer));
  draw();
  root.append(
    h('h1', {}, 'Resources and cost'),
    section('Alive now', alive),
    section(
      'Reaper',
      h(
        'p',
        { id: 'reaper' },
        lastReaperPass
          ? `Last pass ${time(lastReaperPass.at)}: ${lastReaperPass.deleted.length} deleted, ${lastReaperPass.failed.length} failed.`
          : 'The reaper has not run yet.',
      ),
    ),
    section(
      'Cost per run, last 30 days',
      chart(
        'Cost of each run over time (USD)',
        {
          tooltip: { trigger: 'item' },
          legend: { top: 0 },
          grid: { left: 56, right: 16, top: 32, bottom: 40 },
          xAxis: { type: 'time' },
          yAxis: { type: 'value', name: 'USD' },
          series: [...new Set(runs.map((r) => r.pipeline))].map((pipeline) => ({
            type: 'scatter',
            name: pipeline,
            data: runs.filter((r) => r.pipeline === pipeline).map((r) => [r.startedAt, r.costUsd]),
          })),
        },
        260,
      ).figure,
      h('p', { class: 'muted' }, `${runs.length} runs, ${usd(runs.reduce((sum, r) => sum + (r.costUsd ?? 0), 0))} in all.`),
    ),
  );
});
