import { createEffect, onCleanup, onMount } from "solid-js";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { ChartSeries } from "./stack.ts";
import { theme } from "./theme.ts";

export interface TimeChartProps {
  /** Epoch ms, ascending. */
  timestamps: number[];
  series: ChartSeries[];
  height?: number;
  /** Accessible description of what the chart shows (canvas has no text of its own). */
  label: string;
}

/**
 * A uPlot time chart (about 20 KB gzip, loaded only with the pages that draw one). The canvas is
 * described by `label` for screen readers; every page also shows the same numbers as a table or cards.
 */
export default function TimeChart(props: TimeChartProps) {
  let el!: HTMLDivElement;
  let plot: uPlot | undefined;

  function options(width: number): uPlot.Options {
    // Canvas knows no currentColor: axis text takes the page's text colour now (and again on a theme change).
    const fg = getComputedStyle(el).color || "#6b7280";
    return {
      width,
      height: props.height ?? 240,
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        { stroke: fg, grid: { stroke: "#8883" }, ticks: { stroke: "#8883" } },
        { stroke: fg, grid: { stroke: "#8883" }, ticks: { stroke: "#8883" } },
      ],
      series: [
        {},
        ...props.series.map(
          (s): uPlot.Series => ({
            label: s.label,
            stroke: s.color,
            width: s.points ? 0 : 1.5,
            fill: s.fill ? `${s.color}cc` : undefined,
            points: { show: false },
            ...(s.points
              ? { paths: () => null, points: { show: true, size: 9, fill: s.color, stroke: s.color } }
              : {}),
            ...(s.display
              ? {
                  value: (_u: uPlot, v: number | null, _si: number, i: number | null) =>
                    String(i === null ? (v ?? "–") : (s.display?.[i] ?? "–")),
                }
              : {}),
          }),
        ),
      ],
    };
  }

  function data(): uPlot.AlignedData {
    return [props.timestamps.map((t) => t / 1000), ...props.series.map((s) => s.values)] as uPlot.AlignedData;
  }

  onMount(() => {
    const width = () => Math.max(280, el.clientWidth || 600);
    plot = new uPlot(options(width()), data(), el);
    const ro =
      typeof ResizeObserver === "function"
        ? new ResizeObserver(() => plot?.setSize({ width: width(), height: props.height ?? 240 }))
        : null;
    ro?.observe(el);
    onCleanup(() => {
      ro?.disconnect();
      plot?.destroy();
    });
  });

  // New data with the same series: update in place; a different set of series (or theme): rebuild.
  let shape = "";
  createEffect(() => {
    const next = `${theme()}|${props.series.map((s) => s.label).join("|")}`;
    const d = data();
    if (!plot) {
      shape = next;
      return;
    }
    if (next !== shape) {
      shape = next;
      plot.destroy();
      plot = new uPlot(options(Math.max(280, el.clientWidth || 600)), d, el);
    } else plot.setData(d);
  });

  return <div ref={el} class="chart" role="img" aria-label={props.label} />;
}
