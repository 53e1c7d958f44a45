import { createResource, For, lazy, Show, Suspense } from "solid-js";
import { type Anomaly, anomalyReport, recordedAnomalies } from "../../data/anomaly.ts";
import { ApiError } from "../../data/api.ts";
import { timeseries } from "../../data/metrics.ts";
import { href, query, setQuery } from "../../router.ts";
import { SelectField, TextField } from "../../ui/fields.tsx";
import { formatNumber, formatTime } from "../../ui/format.ts";
import type { ChartSeries } from "../../ui/stack.ts";
import { Empty, ErrorState, Loaded, Loading } from "../../ui/states.tsx";
import { DataTable } from "../../ui/table.tsx";

const TimeChart = lazy(() => import("../../ui/time-chart.tsx"));

const WINDOWS = [
  { minutes: 60, label: "1 hour" },
  { minutes: 360, label: "6 hours" },
  { minutes: 1440, label: "24 hours" },
];

const SEVERITY_COLOR: Record<string, string> = {
  critical: "#9333ea",
  high: "#dc2626",
  medium: "#ca8a04",
  low: "#2563eb",
};

/** One marker series per metric: each anomaly on the bucket that holds it, at the plotted value. */
export function markers(
  stamps: number[],
  list: Anomaly[],
  metric: string,
  values: number[],
): (number | null)[] {
  const out: (number | null)[] = stamps.map(() => null);
  for (const a of list) {
    if (a.metric_name !== metric) continue;
    const t = Date.parse(a.detected_at);
    let i = stamps.length - 1;
    while (i > 0 && stamps[i]! > t) i--;
    if (i >= 0 && stamps[i]! <= t) out[i] = values[i] ?? null;
  }
  return out;
}

function SeverityText(props: { severity: string }) {
  return (
    <span style={{ color: SEVERITY_COLOR[props.severity] }} class="level">
      {props.severity}
    </span>
  );
}

/** The page's two charts, each with its series from the loaded data (kept when the data is read again). */
const CHARTS = [
  { title: "Log volume", series: "volumeSeries" },
  { title: "Error rate", series: "rateSeries" },
] as const;

export default function AnomaliesPage() {
  const minutes = () => {
    const m = Number(query().window);
    return WINDOWS.some((w) => w.minutes === m) ? m : 60;
  };
  const service = () => query().service || undefined;
  const key = () => ({ m: minutes(), s: service() });
  const [report, { refetch }] = createResource(key, (k) => anomalyReport(k.m, k.s));
  const [series] = createResource(key, (k) => timeseries(k.m, k.m > 360 ? "5m" : "1m", k.s));
  // The scheduler's history; a deployment without a database has none (503), which is not an error here.
  const [recorded] = createResource(key, (k) =>
    recordedAnomalies(new Date(Date.now() - k.m * 60_000).toISOString(), k.s).catch((err) => {
      if (err instanceof ApiError && err.status === 503) return null;
      throw err;
    }),
  );

  const charts = () => {
    const ts = series.latest;
    const r = report.latest;
    if (!ts || !r) return null;
    const stamps = ts.buckets.map((b) => Date.parse(b.timestamp));
    const volume = ts.buckets.map((b) => b.count);
    const rate = ts.buckets.map((b) => (b.count > 0 ? Math.round((1000 * b.errors) / b.count) / 10 : 0));
    // Markers of the series shown: all services together, or the one chosen.
    const mine = r.anomalies.filter((a) => (service() ? a.service === service() : a.service === null));
    const volumeSeries: ChartSeries[] = [
      { label: "logs / bucket", color: "#2563eb", values: volume },
      {
        label: "anomaly",
        color: "#dc2626",
        points: true,
        values: markers(stamps, mine, "log_volume", volume),
      },
    ];
    const rateSeries: ChartSeries[] = [
      { label: "error rate %", color: "#ca8a04", values: rate },
      { label: "anomaly", color: "#dc2626", points: true, values: markers(stamps, mine, "error_rate", rate) },
    ];
    return { stamps, volumeSeries, rateSeries };
  };

  return (
    <section aria-labelledby="an-title">
      <h1 id="an-title">Anomalies</h1>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          const v = (e.currentTarget.elements.namedItem("service") as HTMLInputElement).value.trim();
          setQuery({ service: v || undefined });
        }}
      >
        <SelectField
          label="Window"
          value={minutes()}
          options={WINDOWS.map((w) => ({ value: w.minutes, label: `Last ${w.label}` }))}
          onValue={(v) => setQuery({ window: v })}
        />
        <TextField label="Service" name="service" placeholder="all services" value={service() ?? ""} />
        <button type="submit">Apply</button>
        <button type="button" onClick={() => void refetch()}>
          Refresh
        </button>
      </form>

      <Show when={report.error || series.error}>
        <ErrorState error={report.error ?? series.error} retry={refetch} />
      </Show>
      <Show
        when={charts()}
        fallback={
          <Show when={!report.error && !series.error}>
            <Loading what="series" />
          </Show>
        }
      >
        {(c) => (
          <Suspense fallback={<Loading what="chart" />}>
            <div class="grid-2">
              <For each={CHARTS}>
                {(chart) => (
                  <div class="panel">
                    <h2 style={{ margin: "0 0 0.5rem" }}>{chart.title}</h2>
                    <TimeChart
                      timestamps={c().stamps}
                      series={c()[chart.series]}
                      height={200}
                      label={`${chart.title} with anomalies marked`}
                    />
                  </div>
                )}
              </For>
            </div>
          </Suspense>
        )}
      </Show>

      <Show when={report.latest}>
        {(r) => (
          <div class="panel">
            <h2 style={{ margin: "0 0 0.5rem" }}>
              Report: {r().total_anomalies} anomalies from {formatTime(r().period_start)} to{" "}
              {formatTime(r().period_end)}
            </h2>
            <DataTable
              rows={r().anomalies}
              caption="Detected anomalies"
              empty={
                <Empty title="No anomalies in this window.">
                  <p>
                    {r().reason
                      ? `Why: ${r().reason}. The detector learns from each series' own past; give it a few hours of traffic.`
                      : "Every series stayed within its usual range."}
                  </p>
                </Empty>
              }
              columns={[
                { header: "When", class: "time", cell: (a) => formatTime(a.detected_at) },
                { header: "Metric", cell: (a) => a.metric_name },
                {
                  header: "Service",
                  cell: (a) => (
                    <Show when={a.service} fallback="all">
                      {(s) => <a href={href("/anomalies", { window: minutes(), service: s() })}>{s()}</a>}
                    </Show>
                  ),
                },
                { header: "Type", cell: (a) => a.anomaly_type },
                { header: "Severity", cell: (a) => <SeverityText severity={a.severity} /> },
                { header: "Actual", cell: (a) => formatNumber(a.actual_value) },
                { header: "Expected", cell: (a) => formatNumber(a.expected_value) },
                {
                  header: "Description",
                  cell: (a) => (
                    <>
                      {a.description}{" "}
                      <a
                        href={href("/explore", {
                          service: a.service ?? undefined,
                          level: a.metric_name === "error_rate" ? "ERROR,CRITICAL" : undefined,
                          range: "custom",
                          from: new Date(Date.parse(a.detected_at) - 5 * 60_000).toISOString(),
                          to: new Date(Date.parse(a.detected_at) + 5 * 60_000).toISOString(),
                        })}
                      >
                        Logs around it
                      </a>
                    </>
                  ),
                },
              ]}
            />
          </div>
        )}
      </Show>
      <div class="panel">
        <h2 style={{ margin: "0 0 0.5rem" }}>Recorded by the scheduler</h2>
        <Loaded of={recorded}>
          {(r) => (
            <DataTable
              rows={r().anomalies}
              caption="Anomalies recorded by the scheduler, newest first"
              empty={
                <p class="muted">
                  Nothing recorded in this window. Alert rules that count anomalies read this list.
                </p>
              }
              columns={[
                { header: "When", class: "time", cell: (a) => formatTime(a.detected_at) },
                { header: "Metric", cell: (a) => a.metric_name },
                { header: "Service", cell: (a) => a.service ?? "all" },
                { header: "Severity", cell: (a) => <SeverityText severity={a.severity} /> },
                { header: "Description", cell: (a) => a.description },
              ]}
            />
          )}
        </Loaded>
        <Show when={recorded.state === "ready" && recorded() === null}>
          <p class="muted">
            This deployment keeps no anomaly history (it needs a database); the report above is computed on
            demand.
          </p>
        </Show>
      </div>
    </section>
  );
}
