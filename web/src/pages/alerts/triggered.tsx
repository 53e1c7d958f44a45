import { createResource, createSignal, For, Show } from "solid-js";
import {
  type AlertRule,
  acknowledge,
  listTriggered,
  resolve,
  type TriggeredAlert,
} from "../../data/alerts.ts";
import { describeError } from "../../data/api.ts";
import { href, query, setQuery } from "../../router.ts";
import { formatNumber, formatTime } from "../../ui/format.ts";
import { Empty, Loaded } from "../../ui/states.tsx";
import { conditionLabel, logsOfRule } from "./links.ts";

const STATUSES = ["", "triggered", "acknowledged", "resolved"] as const;

/** The logs that fired an alert: its window, filtered as the rule counts, the first sample selected. */
function logsOf(a: TriggeredAlert, rule: AlertRule | undefined): string {
  const from = a.window_start ?? undefined;
  const to = a.window_end ?? undefined;
  const base = rule ? logsOfRule(rule, from, to) : href("/explore", { range: "custom", from, to });
  const sample = a.sample_log_ids[0];
  return sample ? `${base}&log=${encodeURIComponent(sample)}` : base;
}

export function TriggeredList(props: { rules: AlertRule[] }) {
  const status = () => query().status ?? "";
  const [alerts, { refetch }] = createResource(status, (s) => listTriggered(s || undefined));
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
        <label>
          Status
          <select value={status()} onChange={(e) => setQuery({ status: e.currentTarget.value || undefined })}>
            <For each={STATUSES}>{(s) => <option value={s}>{s || "any"}</option>}</For>
          </select>
        </label>
        <button type="button" onClick={() => void refetch()}>
          Refresh
        </button>
      </div>
      <Show when={error()}>
        <p class="field-error" role="alert">
          {error()}
        </p>
      </Show>
      <Loaded of={alerts} what="alerts" retry={refetch}>
        {(list) => (
          <Show
            when={list().alerts.length > 0}
            fallback={
              <Empty title={status() ? `No ${status()} alerts.` : "No alert has fired yet."}>
                <p>
                  Alerts appear here when a rule's condition holds at an evaluation (every minute by default).
                </p>
              </Empty>
            }
          >
            <div class="table-wrap">
              <table>
                <caption class="sr-only">Triggered alerts, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Rule</th>
                    <th scope="col">Fired</th>
                    <th scope="col">Value</th>
                    <th scope="col">Status</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={list().alerts}>
                    {(a) => (
                      <tr data-alert-id={a.id}>
                        <td>
                          <strong>{a.rule_name ?? `rule ${a.rule_id}`}</strong>
                          <div class="muted">{a.severity}</div>
                          <Show when={a.message}>
                            <div>{a.message}</div>
                          </Show>
                        </td>
                        <td class="time">{formatTime(a.triggered_at)}</td>
                        <td>
                          {formatNumber(a.value)} ({conditionLabel(a.condition)} {formatNumber(a.threshold)}
                          {a.time_window ? ` in ${a.time_window} min` : ""})
                        </td>
                        <td class={`status-${a.status}`}>{a.status}</td>
                        <td>
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
                              <button
                                type="button"
                                disabled={busy() === a.id}
                                onClick={() => void act(a, "resolve")}
                              >
                                Resolve
                              </button>
                            </Show>
                            <a
                              href={logsOf(
                                a,
                                props.rules.find((r) => r.id === a.rule_id),
                              )}
                            >
                              Logs that fired it
                            </a>
                          </div>
                        </td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </div>
          </Show>
        )}
      </Loaded>
    </>
  );
}
