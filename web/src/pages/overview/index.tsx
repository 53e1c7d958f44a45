import { createResource, createSignal, lazy, onCleanup, Show, Suspense } from "solid-js";
import { LEVELS, type Level } from "../../data/logs.ts";
import { type Overview, overview, system, timeseries, WINDOWS } from "../../data/metrics.ts";
import { href, query, setQuery } from "../../router.ts";
import { Checkbox, SelectField } from "../../ui/fields.tsx";
import { formatNumber, formatTime } from "../../ui/format.ts";
import { LEVEL_COLORS } from "../../ui/level.tsx";
import { stackLevels } from "../../ui/stack.ts";
import { Empty, Loaded, Loading } from "../../ui/states.tsx";
import { DataTable } from "../../ui/table.tsx";
import { finishedBuckets, type OverviewFigures, overviewFigures } from "./figures.ts";
import { TopErrors } from "./top-errors.tsx";

const TimeChart = lazy(() => import("../../ui/time-chart.tsx"));
const REFRESH_MS = 30_000;

/** The change from the window before, its arrow coloured by whether the change is good. */
function Trend(props: { value: number | null; unit: string; upIsBad: boolean }) {
  const dir = () => (props.value === null || props.value === 0 ? "flat" : props.value > 0 ? "up" : "down");
  const cls = () =>
    dir() === "flat" ? "muted" : `trend-${dir()}-${(dir() === "up") === props.upIsBad ? "bad" : "good"}`;
  return (
    <span class={cls()}>
      <Show when={props.value !== null} fallback={<span class="muted">no earlier data</span>}>
        <span aria-hidden="true">{dir() === "up" ? "▲" : dir() === "down" ? "▼" : "■"}</span>{" "}
        {props.value! > 0 ? "+" : ""}
        {formatNumber(props.value)}
        {props.unit} <span class="sr-only">versus the window before</span>
      </Show>
    </span>
  );
}

export default function OverviewPage() {
  const minutes = () => {
    const m = Number(query().window);
    return WINDOWS.some((w) => w.minutes === m) ? m : 60;
  };
  const [auto, setAuto] = createSignal(query().refresh !== "off");
  const [tick, setTick] = createSignal(0);
  const timer = setInterval(() => {
    if (auto() && document.visibilityState !== "hidden") setTick((t) => t + 1);
  }, REFRESH_MS);
  onCleanup(() => clearInterval(timer));

  const [ov, { refetch: refetchOv }] = createResource(
    () => ({ m: minutes(), t: tick() }),
    (k) => overview(k.m),
  );
  const [ts] = createResource(
    () => ({ m: minutes(), t: tick() }),
    (k) => timeseries(k.m),
  );
  const [sys] = createResource(tick, () => system().catch(() => null));
  const windowLabel = () => WINDOWS.find((w) => w.minutes === minutes())?.label ?? `${minutes()} minutes`;

  return (
    <section aria-labelledby="ov-title">
      <div class="row" style={{ "justify-content": "space-between" }}>
        <h1 id="ov-title">Overview</h1>
        <div class="row">
          <SelectField
            label="Window"
            value={minutes()}
            options={WINDOWS.map((w) => ({ value: w.minutes, label: `Last ${w.label}` }))}
            onValue={(v) => setQuery({ window: v })}
          />
          <Checkbox
            checked={auto()}
            onChecked={(on) => {
              setAuto(on);
              setQuery({ refresh: on ? undefined : "off" }, { replace: true });
            }}
          >
            Auto-refresh (30 s)
          </Checkbox>
          <button type="button" onClick={() => setTick((t) => t + 1)}>
            Refresh now
          </button>
        </div>
      </div>

      <Loaded of={ov} what="metrics" retry={refetchOv}>
        {(o) => (
          <Cards
            o={o()}
            figures={overviewFigures(o(), sys.latest?.store.events ?? null, ts.latest)}
            windowLabel={windowLabel()}
          />
        )}
      </Loaded>

      <div class="panel">
        <h2 style={{ margin: "0 0 0.5rem" }}>Log volume by level</h2>
        <Loaded of={ts} what="chart">
          {(t) => (
            <Show
              when={t().buckets.some((b) => b.count > 0)}
              fallback={
                <Empty title={`No logs in the last ${windowLabel()}.`}>
                  <p>
                    Ship some with <code>POST /api/v1/ingest</code>, start the demo traffic with{" "}
                    <code>bun run dev --demo</code>, or pick a longer window.
                  </p>
                </Empty>
              }
            >
              <Suspense fallback={<Loading what="chart" />}>
                <VolumeChart buckets={t().buckets} interval={t().interval} windowLabel={windowLabel()} />
                <p class="muted">
                  <a
                    href={href("/explore", {
                      range: "custom",
                      from: t().start_time,
                      to: t().end_time,
                    })}
                  >
                    Open these logs in Explore
                  </a>
                </p>
              </Suspense>
            </Show>
          )}
        </Loaded>
      </div>

      <Show when={ov.latest}>
        {(o) => (
          <div class="grid-2">
            <div class="panel">
              <h2 style={{ margin: "0 0 0.5rem" }}>Service health</h2>
              <DataTable
                rows={o().services}
                empty={<p class="muted">No service logged in this window.</p>}
                columns={[
                  {
                    header: "Service",
                    cell: (s) => (
                      <a href={href("/explore", { service: s.name, range: rangeFor(minutes()) })}>{s.name}</a>
                    ),
                  },
                  { header: "Health", class: (s) => `health-${s.health}`, cell: (s) => s.health },
                  { header: "Logs", cell: (s) => formatNumber(s.total_logs) },
                  { header: "Error rate", cell: (s) => `${formatNumber(s.error_rate)} %` },
                ]}
              />
            </div>
            <div class="panel">
              <h2 style={{ margin: "0 0 0.5rem" }}>Top errors</h2>
              <TopErrors errors={o().top_errors} range={rangeFor(minutes())} />
            </div>
          </div>
        )}
      </Show>
    </section>
  );
}

/** Explore's nearest range for an overview window. */
function rangeFor(minutes: number): string {
  return minutes <= 15
    ? "15m"
    : minutes <= 60
      ? "1h"
      : minutes <= 360
        ? "6h"
        : minutes <= 1440
          ? "24h"
          : "7d";
}

function Cards(props: { o: Overview; figures: OverviewFigures; windowLabel: string }) {
  const f = () => props.figures;
  return (
    <div class="cards">
      <div class="card">
        <div class="label">Total logs</div>
        <div class="value" data-testid="total-logs">
          {formatNumber(f().allTime ?? props.o.total_logs)}
        </div>
        <div class="muted">
          {f().allTime === null
            ? `last ${props.windowLabel}`
            : `all time; ${formatNumber(props.o.total_logs)} in the last ${props.windowLabel}`}
        </div>
      </div>
      <div class="card">
        <div class="label">Logs / minute</div>
        <div class="value" data-testid="logs-per-minute">
          {formatNumber(f().perMinute)}
        </div>
        <Show
          when={f().trend}
          fallback={
            <span class="muted">
              over the {formatNumber(Math.round(f().spanMinutes))} min with data; no earlier data
            </span>
          }
        >
          <Trend value={props.o.trend.change_percent} unit=" %" upIsBad={false} />
        </Show>
      </div>
      <div class="card">
        <div class="label">Active services</div>
        <div class="value">{formatNumber(props.o.active_services)}</div>
        <div class="muted">logged in the last {props.windowLabel}</div>
      </div>
      <div class="card">
        <div class="label">Error rate</div>
        <div class="value">{formatNumber(props.o.error_rate)} %</div>
        <Show when={f().trend} fallback={<span class="muted">no earlier data</span>}>
          <Trend value={props.o.trend.error_rate_change} unit=" pp" upIsBad={true} />
        </Show>
      </div>
    </div>
  );
}

function VolumeChart(props: {
  buckets: { timestamp: string; count: number; levels: Record<Level, number> }[];
  interval: string;
  windowLabel: string;
}) {
  // The bucket still filling would be drawn as a drop: it is left out, and its count said in words.
  const split = () => finishedBuckets(props.buckets, props.interval);
  return (
    <>
      <TimeChart
        timestamps={split().finished.map((b) => Date.parse(b.timestamp))}
        series={stackLevels(
          LEVELS,
          split().finished.map((b) => b.levels),
          LEVEL_COLORS,
        )}
        label={`Stacked log volume by level over the last ${props.windowLabel}`}
      />
      <Show when={split().filling}>
        {(b) => (
          <p class="muted" data-testid="filling-bucket">
            Not drawn: the {props.interval} still filling since {formatTime(b().timestamp)},{" "}
            {formatNumber(b().count)} so far.
          </p>
        )}
      </Show>
    </>
  );
}
