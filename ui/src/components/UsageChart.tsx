import { createEffect, on, onCleanup, onMount } from "solid-js";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface ChartSeries {
  label: string;
  values: number[];
  /** A CSS color; the page's --accent and --err by default. */
  color: string;
}

const HEIGHT = 220;
const cssVar = (name: string, fallback: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;

/**
 * A full-width bar chart of one measure per UTC day (uPlot: a canvas, axes with days and values, a
 * legend that follows the cursor). It redraws when the days or values change and follows the width
 * of its card.
 */
export function UsageChart(props: { title: string; days: string[]; series: ChartSeries[]; format: (n: number) => string; testId: string }) {
  let holder: HTMLDivElement | undefined;
  let plot: uPlot | undefined;
  const build = () => {
    if (!holder) return;
    plot?.destroy();
    const text = cssVar("--text-2", "#52525b");
    const grid = cssVar("--border", "#e4e4e8");
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const bars = uPlot.paths.bars!({ size: [props.series.length > 1 ? 0.8 : 0.6, 64], gap: 1 });
    const opts: uPlot.Options = {
      width: Math.max(320, holder.clientWidth),
      height: HEIGHT,
      // Half a day of room on each side, so the first and last days' bars are whole.
      scales: {
        x: { time: true, range: (_u, min, max) => [min - 43_200, max + 43_200] },
        y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
      },
      axes: [
        { ...axis, values: (_u, ticks) => ticks.map((t) => new Date(t * 1000).toISOString().slice(5, 10)) },
        { ...axis, size: 84, values: (_u, ticks) => ticks.map((t) => props.format(t)) },
      ],
      series: [
        { label: "Day", value: (_u, v) => (v === null ? "–" : new Date(v * 1000).toISOString().slice(0, 10)) },
        ...props.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          fill: `${s.color}99`,
          width: 1,
          paths: bars,
          points: { show: false },
          value: (_u: uPlot, v: number | null) => (v === null ? "–" : props.format(v)),
        })),
      ],
      legend: { live: true },
      cursor: { points: { show: false } },
    };
    const data: uPlot.AlignedData = [props.days.map((d) => Date.parse(d) / 1000 + 43_200), ...props.series.map((s) => s.values)];
    plot = new uPlot(opts, data, holder);
  };
  onMount(() => {
    build();
    const resize = new ResizeObserver(() => holder && plot?.setSize({ width: Math.max(320, holder.clientWidth), height: HEIGHT }));
    resize.observe(holder!);
    onCleanup(() => {
      resize.disconnect();
      plot?.destroy();
    });
  });
  createEffect(on(() => [props.days, props.series], build, { defer: true }));
  return (
    <section class="card card-pad usage-chart" data-testid={props.testId} aria-label={props.title}>
      <h3>{props.title}</h3>
      <div ref={holder} class="usage-chart-canvas" />
    </section>
  );
}
