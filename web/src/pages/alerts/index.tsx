import { createResource, createSignal, Match, Show, Switch } from "solid-js";
import { type AlertRule, comparedValue, deleteRule, listRules } from "../../data/alerts.ts";
import { describeError } from "../../data/api.ts";
import { LEVELS, type Level } from "../../data/logs.ts";
import { query, setQuery } from "../../router.ts";
import { formatNumber, formatTime } from "../../ui/format.ts";
import { Empty, Loaded, Loading, Note, ShownOnce } from "../../ui/states.tsx";
import { DataTable } from "../../ui/table.tsx";
import { conditionLabel, logsOfRule } from "./links.ts";
import { RuleForm } from "./rule-form.tsx";
import { TriggeredList } from "./triggered.tsx";

export default function AlertsPage() {
  const tab = () => (query().tab === "triggered" ? "triggered" : "rules");
  const [rules, { mutate, refetch }] = createResource(listRules);
  const [notice, setNotice] = createSignal<string | null>(null);
  const [secret, setSecret] = createSignal<string | null>(null);
  const [confirming, setConfirming] = createSignal<number | null>(null);
  const [deleteError, setDeleteError] = createSignal<string | null>(null);
  const editing = () => query().rule;
  const editedRule = () => rules.latest?.rules.find((r) => String(r.id) === editing());

  async function remove(rule: AlertRule) {
    setDeleteError(null);
    try {
      await deleteRule(rule.id);
      setConfirming(null);
      // The row goes with the announcement, not a round trip later (the list is then fetched again).
      mutate((list) => {
        if (!list) return list;
        const rules = list.rules.filter((r) => r.id !== rule.id);
        return { rules, total: list.total - (list.rules.length - rules.length) };
      });
      setNotice(`Deleted rule “${rule.name}”.`);
      await refetch();
    } catch (err) {
      setDeleteError(describeError(err));
    }
  }

  const RuleActions = (p: { rule: AlertRule }) => (
    <div class="row">
      <button
        type="button"
        onClick={() => setQuery({ rule: String(p.rule.id) })}
        aria-label={`Edit ${p.rule.name}`}
      >
        Edit
      </button>
      <Show
        when={confirming() === p.rule.id}
        fallback={
          <button
            type="button"
            class="danger"
            onClick={() => setConfirming(p.rule.id)}
            aria-label={`Delete ${p.rule.name}`}
          >
            Delete
          </button>
        }
      >
        <button type="button" class="danger" onClick={() => void remove(p.rule)}>
          Confirm delete
        </button>
        <button type="button" onClick={() => setConfirming(null)}>
          Keep
        </button>
      </Show>
      <a href={logsOfRule(p.rule)}>Logs</a>
    </div>
  );

  return (
    <section aria-labelledby="al-title">
      <h1 id="al-title">Alerts</h1>
      <div class="toolbar" role="tablist" aria-label="Alerts views">
        <button
          type="button"
          role="tab"
          aria-selected={tab() === "rules"}
          class={tab() === "rules" ? "primary" : undefined}
          onClick={() => setQuery({ tab: undefined, rule: undefined })}
        >
          Rules
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={tab() === "triggered"}
          class={tab() === "triggered" ? "primary" : undefined}
          onClick={() => setQuery({ tab: "triggered", rule: undefined })}
        >
          Triggered alerts
        </button>
      </div>
      <Note text={notice()} tone="notice" />
      <ShownOnce secret={secret()} done="I have copied it" onDone={() => setSecret(null)}>
        <p>
          This rule signs its webhook deliveries with the secret below (header{" "}
          <code>X-LogFlow-Signature</code>). It is shown only now: copy it to the receiving side.
        </p>
      </ShownOnce>

      <Switch>
        <Match when={tab() === "triggered"}>
          <TriggeredList rules={rules.latest?.rules ?? []} />
        </Match>
        <Match when={editing()}>
          <Show when={editing() === "new" || editedRule()} fallback={<Loading what="rule" />}>
            <RuleForm
              rule={editing() === "new" ? undefined : editedRule()}
              prefill={
                editing() === "new" && (query().query ?? query().service ?? query().level) !== undefined
                  ? {
                      query: query().query,
                      services: query().service,
                      levels: (query().level ?? "")
                        .split(",")
                        .filter((l): l is Level => (LEVELS as string[]).includes(l)),
                    }
                  : undefined
              }
              onCancel={() => setQuery({ rule: undefined })}
              onSaved={(rule, s) => {
                setNotice(`Saved rule “${rule.name}”.`);
                setSecret(s ?? null);
                setQuery({ rule: undefined });
                void refetch();
              }}
            />
          </Show>
        </Match>
        <Match when={true}>
          <div class="toolbar">
            <button type="button" class="primary" onClick={() => setQuery({ rule: "new" })}>
              New rule
            </button>
          </div>
          <Note text={deleteError()} tone="error" />
          <Loaded of={rules} what="rules" retry={refetch}>
            {(r) => (
              <DataTable
                rows={r().rules}
                caption="Alert rules"
                empty={
                  <Empty title="No alert rules yet.">
                    <p>Create one to be told when, say, more than 10 ERROR lines arrive within 5 minutes.</p>
                  </Empty>
                }
                columns={[
                  {
                    header: "Rule",
                    cell: (rule) => (
                      <>
                        <strong>{rule.name}</strong>
                        <div class="muted">{rule.severity}</div>
                      </>
                    ),
                  },
                  {
                    header: "Fires when",
                    cell: (rule) =>
                      `${comparedValue(rule)} ${conditionLabel(rule.condition)} ${formatNumber(rule.threshold)} in ${rule.time_window} min${rule.group_by.length ? ` per ${rule.group_by.join(", ")}` : ""}`,
                  },
                  {
                    header: "Counting",
                    cell: (rule) => (
                      <>
                        <Show when={rule.anomaly_severity} fallback={rule.levels.join(", ") || "all levels"}>
                          anomalies ({rule.anomaly_severity}+)
                        </Show>
                        {" · "}
                        {rule.services.join(", ") || "all services"}
                        <Show when={rule.query}> · “{rule.query}”</Show>
                      </>
                    ),
                  },
                  { header: "Active", cell: (rule) => (rule.is_active ? "yes" : "no") },
                  {
                    header: "Last fired",
                    cell: (rule) => (
                      <>
                        {rule.last_triggered_at ? formatTime(rule.last_triggered_at) : "never"}
                        <div class="muted">{rule.trigger_count} times</div>
                      </>
                    ),
                  },
                  { header: "Actions", cell: (rule) => <RuleActions rule={rule} /> },
                ]}
              />
            )}
          </Loaded>
        </Match>
      </Switch>
    </section>
  );
}
