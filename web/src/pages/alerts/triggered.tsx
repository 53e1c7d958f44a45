import { createResource, createSignal, onCleanup, Show } from "solid-js";
import { groupLabel } from "../../../../common/groups.ts";
import {
  type AlertRule,
  acknowledge,
  comparedValue,
  listTriggered,
  resolve,
  type TriggeredAlert,
} from "../../data/alerts.ts";
import { describeError } from "../../data/api.ts";
import { href, query, setQuery } from "../../router.ts";
import { SelectField } from "../../ui/fields.tsx";
import { formatNumber, formatTime } from "../../ui/format.ts";
import { Empty, Loaded, Note } from "../../ui/states.tsx";
import { DataTable } from "../../ui/table.tsx";
import { conditionLabel, logsOfRule, queryOfGroup } from "./links.ts";

const STATUSES = ["", "triggered", "acknowledged", "resolved"] as const;

/**
 * The logs that fired an alert: its window, filtered as the rule counts (narrowed to the alert's group
 * for a grouped rule), the first sample selected.
 */
function logsOf(a: TriggeredAlert, rule: AlertRule | undefined): string {
  const from = a.window_start ?? undefined;
  const to = a.window_end ?? undefined;
  const base = rule
    ? logsOfRule(rule, from, to, a.group)
    : href("/explore", { range: "custom", from, to, q: queryOfGroup(null, a.group) });
  const sample = a.sample_log_ids[0];
  return sample ? `${base}&log=${encodeURIComponent(sample)}` : base;
}

export function TriggeredList(props: { rules: AlertRule[] }) {
  const ruleOf = (a: TriggeredAlert) => props.rules.find((r) => r.id === a.rule_id);
  const status = () => query().status ?? "";
  const [alerts, { refetch }] = createResource(status, (s) => listTriggered(s || undefined));
  // New alerts appear by themselves: read again every 15 s while the page is visible.
  const timer = setInterval(() => {
    if (document.visibilityState !== "hidden" && busy() === null) void refetch();
  }, 15_000);
  onCleanup(() => clearInterval(timer));
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal<number | null>(null);

  async function act(a: TriggeredAlert, action: "acknowledge" | "resolve") {
    setBusy(a.id);
    setError(null);
    try {
      await (action === "acknowledge" ? acknowledge(a.id) : resolve(a.id));
      await refetch();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(null);
    }
  }

  return (
    <>
      <div class="toolbar">
        <SelectField
          label="Status"
          value={status()}
          options={STATUSES.map((s) => ({ value: s, label: s || "any" }))}
          onValue={(s) => setQuery({ status: s || undefined })}
        />
        <button type="button" onClick={() => void refetch()}>
          Refresh
        </button>
      </div>
      <Note text={error()} tone="error" />
      <Loaded of={alerts} what="alerts" retry={refetch}>
        {(list) => (
          <DataTable
            rows={list().alerts}
            caption="Triggered alerts, newest first"
            data={(a) => ({ alertId: a.id })}
            empty={
              <Empty title={status() ? `No ${status()} alerts.` : "No alert has fired yet."}>
                <p>
                  Alerts appear here when a rule's condition holds at an evaluation (every minute by default).
                </p>
              </Empty>
            }
            columns={[
              {
                header: "Rule",
                cell: (a) => (
                  <>
                    <strong>{a.rule_name ?? `rule ${a.rule_id}`}</strong>
                    <div class="muted">{a.severity}</div>
                    <Show when={a.group}>
                      {(g) => <div data-testid="alert-group">{groupLabel(g())}</div>}
                    </Show>
                    <Show when={a.message}>
                      <div>{a.message}</div>
                    </Show>
                  </>
                ),
              },
              { header: "Fired", class: "time", cell: (a) => formatTime(a.triggered_at) },
              {
                header: "Value",
                cell: (a) =>
                  `${a.aggregation && a.aggregation !== "count" ? `${comparedValue({ ...a, field: ruleOf(a)?.field })} ` : ""}${formatNumber(a.value)} (${conditionLabel(a.condition)} ${formatNumber(a.threshold)}${a.time_window ? ` in ${a.time_window} min` : ""})`,
              },
              { header: "Status", class: (a) => `status-${a.status}`, cell: (a) => a.status },
              {
                header: "Actions",
                cell: (a) => (
                  <div class="row">
                    <Show when={a.status === "triggered"}>
                      <button
                        type="button"
                        disabled={busy() === a.id}
                        onClick={() => void act(a, "acknowledge")}
                      >
                        Acknowledge
                      </button>
                    </Show>
                    <Show when={a.status !== "resolved"}>
                      <button type="button" disabled={busy() === a.id} onClick={() => void act(a, "resolve")}>
                        Resolve
                      </button>
                    </Show>
                    <a href={logsOf(a, ruleOf(a))}>Logs that fired it</a>
                  </div>
                ),
              },
            ]}
          />
        )}
      </Loaded>
    </>
  );
}
