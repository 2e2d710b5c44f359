import { api } from '../api';
import { chart, ChartOption, palette } from '../charts';
import { confirmAction } from '../confirm';
import { h, link, message, replaceChildren, section, statusBadge, table } from '../dom';
import { duration, fixed, params, secondsBetween, time, usd } from '../format';
import { register } from '../router';
import type { RunView } from '../types';

export const stages = ['validate', 'provision', 'copy', 'train', 'select', 'register', 'deploy', 'teardown'];
const pollMs = 2000;

function currentStage(view: RunView): string {
  return view.orchestration?.customStatus?.stage ?? view.run?.stage ?? 'validate';
}

/** Stages laid end to end from their offsets, the candidates as bars on the same axis. */
function timelineOption(view: RunView): ChartOption {
  const rows = [
    ...view.timeline.map((s) => ({ name: s.stage, start: s.startOffsetSeconds, length: s.seconds, colour: palette[0] })),
    ...view.candidates
      .filter((c) => c.startOffsetSeconds !== undefined)
      .map((c) => ({
        name: c.candidateId,
        start: c.startOffsetSeconds ?? 0,
        length: c.durationSeconds ?? secondsBetween(c.startedAt, c.endedAt) ?? 0,
        colour: c.status === 'failed' ? palette[3] : palette[2],
      })),
  ];
  return {
    grid: { left: 150, right: 16, top: 8, bottom: 40 },
    tooltip: { trigger: 'item' },
    xAxis: { type: 'value', name: 'seconds from start', nameLocation: 'middle', nameGap: 26 },
    yAxis: { type: 'category', inverse: true, data: rows.map((r) => r.name), axisLabel: { width: 140, overflow: 'truncate' } },
    series: [
      { type: 'bar', stack: 't', silent: true, itemStyle: { color: 'transparent' }, data: rows.map((r) => Math.max(0, r.start)) },
      {
        type: 'bar',
        stack: 't',
        name: 'duration (s)',
        data: rows.map((r) => ({ value: Math.round(r.length * 10) / 10, itemStyle: { color: r.colour } })),
      },
    ],
  };
}

register('/pipelines/:name/runs/:id', 'Run', async (root, route) => {
  const { name: pipeline, id: instanceId } = route.params;
  const summary = h('dl', { class: 'facts', id: 'run-facts' });
  const stageList = h('ol', { class: 'stages', id: 'stages', 'aria-label': 'Stages' });
  const candidates = h('div');
  const outcome = h('div');
  const cancelRun = async () => {
    if (!(await confirmAction(`Cancel run ${instanceId}? Its compute is torn down.`, 'Cancel the run'))) return;
    try {
      await api.cancel(pipeline, instanceId);
      cancelButton.disabled = true;
      cancelButton.textContent = 'Cancel requested';
    } catch (err) {
      live.textContent = `Cancel failed: ${(err as Error).message}`;
    }
  };
  const cancelButton = h(
    'button',
    { type: 'button', class: 'danger', id: 'cancel-run', hidden: true, onclick: () => void cancelRun() },
    'Cancel run',
  );
  const actions = h('div', { class: 'actions' }, cancelButton);
  const live = h('p', { class: 'muted', role: 'status', id: 'run-live' });
  let timeline: ReturnType<typeof chart> | undefined;
  let timer: number | undefined;
  route.onLeave(() => window.clearTimeout(timer));

  const draw = (view: RunView) => {
    const run = view.run;
    const status = view.orchestration?.customStatus;
    const stage = currentStage(view);
    const running = view.live;
    root.dataset.stage = stage;
    root.dataset.runtimeStatus = view.orchestration?.runtimeStatus ?? run?.status ?? '';
    const facts: [string, Node | string][] = [
      ['Status', statusBadge(view.orchestration?.runtimeStatus ?? run?.status ?? 'unknown')],
      ['Stage', stage],
      ['Trigger', run?.trigger ?? '—'],
      ['Data version', run?.dataVersion ?? '—'],
      ['Spec version', run ? `v${run.specVersion}` : '—'],
      ['Started', time(run?.startedAt)],
      ['Elapsed', duration(status?.elapsedSeconds ?? secondsBetween(run?.startedAt, run?.endedAt))],
      ['Cost so far', usd(view.costUsd)],
      ['Node-minutes', fixed(run?.nodeMinutes, 1)],
      [
        'Candidates',
        status?.candidates
          ? `${status.candidates.done ?? 0} done, ${status.candidates.running ?? 0} running, ${status.candidates.failed ?? 0} failed of ${status.candidates.total ?? '?'}`
          : run
            ? `${run.candidates.succeeded} succeeded, ${run.candidates.failed} failed of ${run.candidates.total}`
            : '—',
      ],
      ['Copy', view.copy ? `${view.copy.copied} copied, ${view.copy.skipped} skipped, ${view.copy.failed} failed` : '—'],
    ];
    replaceChildren(
      summary,
      facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
    );
    const reached = stages.indexOf(stage);
    replaceChildren(
      stageList,
      stages.map((s, i) => {
        const seconds = view.timeline.find((t) => t.stage === s)?.seconds;
        const state = running && s === stage ? 'current' : seconds !== undefined || i < reached ? 'done' : 'pending';
        return h(
          'li',
          { 'data-state': state, 'aria-current': state === 'current' ? 'step' : undefined },
          h('span', { class: 'stage-name' }, s),
          h('span', { class: 'stage-time' }, seconds !== undefined ? duration(seconds) : state === 'current' ? 'running…' : ''),
        );
      }),
    );
    const options = timelineOption(view);
    if (!timeline) {
      timeline = chart('Stage and candidate timeline', options, Math.max(220, 28 * (stages.length + view.candidates.length)));
      timelineSlot.replaceWith(timeline.figure);
    } else timeline.update(options);
    replaceChildren(
      candidates,
      table(
        'Candidates of this run',
        ['Candidate', 'Classifier', 'Featurizer', 'Parameters', 'Status', 'Accuracy', 'Duration'],
        view.candidates.map((c) => [
          link(
            `/pipelines/${encodeURIComponent(pipeline)}/runs/${encodeURIComponent(instanceId)}/candidates/${encodeURIComponent(c.candidateId)}`,
            c.candidateId,
          ),
          c.classifier,
          c.featurizer,
          params(c.params),
          statusBadge(c.status),
          fixed(c.accuracy),
          duration(c.durationSeconds),
        ]),
        { id: 'candidates' },
      ),
    );
    const error = view.failure?.error ?? run?.error;
    replaceChildren(
      outcome,
      view.decision
        ? h('p', { id: 'decision' }, h('strong', {}, view.decision.promoted ? 'Promoted' : 'Not promoted'), ` — ${view.decision.reason}`)
        : null,
      run?.best
        ? h(
            'p',
            {},
            `Best: ${run.best.candidateId} (${run.best.classifier}, ${run.best.featurizer}) ${run.best.metric} ${fixed(run.best.value)}`,
          )
        : null,
      error ? message(`${error.code}: ${error.message}`, 'error') : null,
      view.failure?.logTail
        ? h(
            'details',
            { open: true },
            h('summary', {}, 'End of the job log'),
            h('pre', { class: 'log', tabindex: 0 }, view.failure.logTail),
          )
        : null,
    );
    cancelButton.hidden = !running;
    live.textContent = running
      ? `Live: updated ${new Date().toLocaleTimeString()}`
      : `Finished: ${view.orchestration?.runtimeStatus ?? run?.status}`;
  };

  const timelineSlot = h('div');
  root.append(
    h(
      'nav',
      { class: 'crumbs', 'aria-label': 'Breadcrumb' },
      link('/', 'Pipelines'),
      ' / ',
      link(`/pipelines/${encodeURIComponent(pipeline)}`, pipeline),
      ' / ',
      instanceId.split('--').pop() ?? instanceId,
    ),
    h('h1', {}, `Run ${instanceId}`),
    live,
    actions,
    summary,
    section('Stages', stageList, timelineSlot),
    section('Outcome', outcome),
    section('Candidates', candidates),
  );

  const poll = async () => {
    try {
      const view = await api.run(pipeline, instanceId);
      draw(view);
      if (view.live) timer = window.setTimeout(() => void poll(), pollMs);
    } catch (err) {
      live.textContent = `Update failed (${(err as Error).message}); retrying`;
      timer = window.setTimeout(() => void poll(), pollMs * 2);
    }
  };
  const first = await api.run(pipeline, instanceId);
  draw(first);
  if (first.live) timer = window.setTimeout(() => void poll(), pollMs);
});
