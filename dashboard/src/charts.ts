import { BarChart, HeatmapChart, LineChart, ParallelChart, ScatterChart } from 'echarts/charts';
import {
  AriaComponent,
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  ParallelComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
} from 'echarts/components';
import { init, use } from 'echarts/core';
import type { EChartsType } from 'echarts/core';
import type { EChartsOption } from 'echarts';
import { CanvasRenderer } from 'echarts/renderers';
import { h } from './dom';

// Only the charts and components the pages draw, so the bundle carries only those.
use([
  BarChart,
  HeatmapChart,
  LineChart,
  ParallelChart,
  ScatterChart,
  AriaComponent,
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  ParallelComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
  CanvasRenderer,
]);

export type ChartOption = EChartsOption;

const live = new Set<EChartsType>();
const resizeObserver = new ResizeObserver(() => live.forEach((chart) => chart.resize()));

/** Disposes the charts of the page being left. */
export function disposeCharts(): void {
  live.forEach((chart) => chart.dispose());
  live.clear();
}

/**
 * A chart in a labelled figure: the canvas box is an image with a label, and the figure has a caption, so a screen
 * reader user knows what it shows (the data itself is in a table beside it where it matters).
 */
export function chart(label: string, option: ChartOption, height = 320): { figure: HTMLElement; update: (next: ChartOption) => void } {
  const box = h('div', { class: 'chart', role: 'img', 'aria-label': label });
  // Through the CSSOM: the app's CSP allows no inline style attributes.
  box.style.height = `${height}px`;
  const figure = h('figure', { class: 'chart-figure' }, box, h('figcaption', {}, label));
  let instance: EChartsType | undefined;
  let pending: ChartOption = option;
  const draw = () => {
    if (!box.isConnected) return;
    instance ??= init(box, undefined, { renderer: 'canvas' });
    live.add(instance);
    resizeObserver.observe(box);
    instance.setOption({ aria: { enabled: true, label: { description: label } }, animation: false, ...pending }, { notMerge: true });
  };
  requestAnimationFrame(draw);
  return {
    figure,
    update: (next) => {
      pending = next;
      if (instance) draw();
    },
  };
}

export const palette = ['#2563eb', '#d97706', '#059669', '#dc2626', '#7c3aed', '#0891b2', '#be185d', '#4d7c0f', '#9333ea', '#475569'];
