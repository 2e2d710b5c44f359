import { api } from '../api';
import { chart, ChartOption, palette } from '../charts';
import { h, link, message, section, statusBadge, table } from '../dom';
import { duration, fixed, params, percent, usd } from '../format';
import { register } from '../router';
import type { MetricsJson } from '../types';

/** metrics.json keeps the matrix with its label order; older records nest both under confusionMatrix. */
function confusion(metrics: MetricsJson): { labels: string[]; matrix: number[][] } | undefined {
  const cm = metrics.confusionMatrix;
  if (!cm) return undefined;
  if (Array.isArray(cm)) return { labels: metrics.labels ?? cm.map((_, i) => String(i)), matrix: cm };
  return cm;
}

function heatmapOption(labels: string[], matrix: number[][]): ChartOption {
  const cells = matrix.flatMap((row, t) => row.map((count, p) => [p, t, count]));
  return {
    tooltip: { position: 'top' },
    grid: { left: 110, right: 24, top: 16, bottom: 140 },
    xAxis: { type: 'category', data: labels, name: 'predicted', nameLocation: 'middle', nameGap: 84, axisLabel: { rotate: 45 } },
    yAxis: { type: 'category', data: labels, inverse: true, name: 'true', nameLocation: 'middle', nameGap: 96 },
    visualMap: {
      min: 0,
      max: Math.max(1, ...matrix.flat()),
      calculable: false,
      orient: 'horizontal',
      left: 'center',
      bottom: 0,
      itemHeight: 120,
      inRange: { color: ['#f8fafc', '#1d4ed8'] },
    },
    series: [{ type: 'heatmap', name: 'count', data: cells, label: { show: true, fontSize: 10 } }],
  };
}

function rocOption(curves: Record<string, { fpr: number[]; tpr: number[] }>, auc: Record<string, number>): ChartOption {
  return {
    tooltip: { trigger: 'item' },
    legend: { type: 'scroll', top: 0 },
    grid: { left: 56, right: 16, top: 64, bottom: 48 },
    xAxis: { type: 'value', min: 0, max: 1, name: 'false positive rate', nameLocation: 'middle', nameGap: 28 },
    yAxis: { type: 'value', min: 0, max: 1, name: 'true positive rate', nameLocation: 'middle', nameGap: 36 },
    series: [
      ...Object.entries(curves).map(([label, curve], i) => ({
        type: 'line' as const,
        name: `${label} (AUC ${fixed(auc[label], 3)})`,
        showSymbol: false,
        color: palette[i % palette.length],
        data: curve.fpr.map((x, j) => [x, curve.tpr[j]]),
      })),
      {
        type: 'line' as const,
        name: 'chance',
        showSymbol: false,
        lineStyle: { type: 'dashed', color: '#94a3b8' },
        data: [
          [0, 0],
          [1, 1],
        ],
      },
    ],
  };
}

register('/pipelines/:name/runs/:id/candidates/:candidate', 'Candidate', async (root, route) => {
  const { name: pipeline, id: instanceId, candidate: candidateId } = route.params;
  const { candidate, metrics } = await api.candidate(pipeline, instanceId, candidateId);
  root.append(
    h(
      'nav',
      { class: 'crumbs', 'aria-label': 'Breadcrumb' },
      link('/', 'Pipelines'),
      ' / ',
      link(`/pipelines/${encodeURIComponent(pipeline)}`, pipeline),
      ' / ',
      link(`/pipelines/${encodeURIComponent(pipeline)}/runs/${encodeURIComponent(instanceId)}`, instanceId.split('--').pop() ?? instanceId),
      ' / ',
      candidateId,
    ),
    h('h1', {}, `Candidate ${candidateId}`),
    h(
      'dl',
      { class: 'facts' },
      [
        ['Status', statusBadge(candidate.status)],
        ['Classifier', candidate.classifier],
        ['Featurizer', candidate.featurizer],
        ['Parameters', params(candidate.params)],
        ['Accuracy', percent(metrics?.accuracy, 2)],
        ['Class-average accuracy', percent(metrics?.classAverageAccuracy, 2)],
        ['Macro ROC AUC', fixed(metrics?.macroRocAuc)],
        ['Duration', duration(candidate.durationSeconds)],
        ['Cost', usd(candidate.costUsd)],
      ].map(([k, v]) => [h('dt', {}, k as string), h('dd', {}, v as Node | string)]),
    ),
  );
  if (candidate.error) root.append(message(`${candidate.error.code}: ${candidate.error.message}`, 'error'));
  if (!metrics) {
    root.append(message('This candidate has no metrics.json (it did not succeed).'));
    return;
  }
  const perClass = metrics.perClassAccuracy ?? {};
  const labels = Object.keys(perClass);
  root.append(
    section(
      'Per-class accuracy',
      chart(
        'Accuracy of each class',
        {
          tooltip: {},
          grid: { left: 110, right: 24, top: 8, bottom: 32 },
          xAxis: { type: 'value', min: 0, max: 1 },
          yAxis: { type: 'category', data: labels, inverse: true },
          series: [{ type: 'bar', name: 'accuracy', data: labels.map((l) => perClass[l]), color: palette[0] }],
        },
        Math.max(200, 26 * labels.length + 40),
      ).figure,
    ),
  );
  const cm = confusion(metrics);
  if (cm) {
    root.append(
      section(
        'Confusion matrix',
        chart('Confusion matrix heatmap: rows are true labels, columns predicted labels', heatmapOption(cm.labels, cm.matrix), 440).figure,
        h(
          'details',
          {},
          h('summary', {}, 'The matrix as a table'),
          table(
            'Confusion matrix counts (rows true, columns predicted)',
            ['true \\ predicted', ...cm.labels],
            cm.matrix.map((row, i) => [h('strong', {}, cm.labels[i]), ...row.map(String)]),
            { id: 'confusion-matrix' },
          ),
        ),
      ),
    );
  }
  if (metrics.rocCurves && Object.keys(metrics.rocCurves).length > 0)
    root.append(
      section(
        'ROC curves',
        chart('ROC curve of each class, one against the rest', rocOption(metrics.rocCurves, metrics.rocAuc ?? {}), 380).figure,
      ),
    );
  if (metrics.precisionRecall)
    root.append(
      section(
        'Precision and recall',
        table(
          'Precision, recall and F1 per class',
          ['Class', 'Precision', 'Recall', 'F1', 'Support', 'ROC AUC'],
          Object.entries(metrics.precisionRecall).map(([label, pr]) => [
            label,
            fixed(pr.precision, 3),
            fixed(pr.recall, 3),
            fixed(pr.f1, 3),
            String(pr.support),
            fixed(metrics.rocAuc?.[label], 3),
          ]),
        ),
      ),
    );
  root.append(
    section(
      'Timings and artifacts',
      table(
        'Timings in seconds',
        ['Step', 'Seconds'],
        Object.entries(metrics.seconds ?? metrics.durationsSeconds ?? metrics.timings ?? {}).map(([k, v]) => [k, fixed(v, 2)]),
      ),
      table(
        'Artifacts',
        ['Artifact', 'Location'],
        Object.entries(candidate.artifacts ?? {}).map(([k, v]) => [k, h('span', { class: 'mono' }, String(v))]),
      ),
    ),
  );
});
