import { For } from "solid-js";

/** Counts per interval as a row of bars, the tallest the full height; `label` is read out instead. */
export function Sparkline(props: {
  values: readonly number[];
  label: string;
  width?: number;
  height?: number;
}) {
  const width = () => props.width ?? 120;
  const height = () => props.height ?? 24;
  const max = () => Math.max(1, ...props.values);
  const step = () => width() / Math.max(1, props.values.length);
  return (
    <svg class="sparkline" width={width()} height={height()} role="img" aria-label={props.label}>
      <For each={[...props.values]}>
        {(v, i) => {
          const h = () => (v > 0 ? Math.max(1, (v / max()) * height()) : 0);
          return <rect x={i() * step()} y={height() - h()} width={Math.max(1, step() - 1)} height={h()} />;
        }}
      </For>
    </svg>
  );
}
