import { createEffect, onCleanup, onMount, Show, type JSX } from "solid-js";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface ChartPoint {
  /** Start of the bucket (ISO). */
  t: string;
  [series: string]: number | string;
}

const COLORS = ["#6d5efc", "#16a34a", "#dc2626", "#d97706", "#0ea5e9", "#a855f7", "#71717a"];

/**
 * A time-series chart (uPlot, canvas: small and fast) of `series` over `points`, or `empty` when
 * every value is zero (or `show` is false). Lines per series; `format` labels the values (axis and legend).
 */
export function TimeChart(props: {
  title: string;
  points: ChartPoint[];
  series: string[];
  format?: (v: number) => string;
  empty: JSX.Element;
  testId?: string;
  /** Draw even when every value is zero (a zero error rate is data); default: only with a non-zero value. */
  show?: boolean;
  /** The y axis's top at least this (a rate: 1); default: from the data. */
  yMin?: number;
}) {
  let box!: HTMLDivElement;
  let chart: uPlot | undefined;
  const hasData = () => props.show ?? props.points.some((p) => props.series.some((s) => Number(p[s] ?? 0) !== 0));
  const data = (): uPlot.AlignedData => [
    props.points.map((p) => Date.parse(p.t) / 1000),
    ...props.series.map((s) => props.points.map((p) => Number(p[s] ?? 0))),
  ];
  const build = () => {
    chart?.destroy();
    chart = undefined;
    if (!hasData() || !box) return;
    const fmt = props.format ?? ((v: number) => String(Math.round(v * 100) / 100));
    chart = new uPlot(
      {
        width: Math.max(280, box.clientWidth),
        height: 200,
        series: [
          {},
          ...props.series.map((label, i) => ({
            label,
            stroke: COLORS[i % COLORS.length],
            width: 2,
            value: (_u: uPlot, v: number | null) => (v === null ? "–" : fmt(v)),
          })),
        ],
        axes: [{ stroke: "#8b8b94" }, { stroke: "#8b8b94", values: (_u: uPlot, vals: number[]) => vals.map(fmt), size: 60 }],
        legend: { show: true },
        scales: {
          y: {
            range: (_u: uPlot, _min: number, max: number): uPlot.Range.MinMax => [
              0,
              Math.max(max, props.yMin ?? 0, 1e-9) * (props.yMin ? 1 : 1.1),
            ],
          },
        },
        cursor: { drag: { x: false, y: false } },
      },
      data(),
      box,
    );
  };
  onMount(() => {
    build();
    const resize = () => chart?.setSize({ width: Math.max(280, box.clientWidth), height: 200 });
    window.addEventListener("resize", resize);
    onCleanup(() => window.removeEventListener("resize", resize));
  });
  createEffect(() => {
    // Rebuilt when the data or the series change (a new window, a refresh).
    void props.points;
    void props.series;
    build();
  });
  onCleanup(() => chart?.destroy());
  return (
    <div class="card chart" data-testid={props.testId}>
      <h3>{props.title}</h3>
      <Show when={hasData()} fallback={<div class="chart-empty">{props.empty}</div>}>
        <div ref={box} class="chart-box" role="img" aria-label={`${props.title}: ${props.series.join(", ")}`} />
      </Show>
    </div>
  );
}
