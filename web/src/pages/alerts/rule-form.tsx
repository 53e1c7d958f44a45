import { createSignal, For, Show } from "solid-js";
import {
  type AlertRule,
  type AlertRuleFields,
  ANOMALY_SEVERITIES,
  CHANNELS,
  CONDITIONS,
  createRule,
  SEVERITIES,
  updateRule,
} from "../../data/alerts.ts";
import { ApiError, describeError, type FieldError } from "../../data/api.ts";
import { LEVELS } from "../../data/logs.ts";

type Draft = {
  name: string;
  description: string;
  condition: AlertRuleFields["condition"];
  threshold: string;
  time_window: string;
  levels: string[];
  services: string;
  query: string;
  notification_channel: string;
  url: string;
  severity: string;
  cooldown_minutes: string;
  is_active: boolean;
  auto_resolve: boolean;
  notify_on_resolve: boolean;
  /** "" counts logs; a severity counts anomalies of at least that severity. */
  anomaly_severity: string;
};

function draftOf(r?: AlertRule): Draft {
  const url = r?.notification_config?.url ?? r?.notification_config?.webhook_url;
  return {
    name: r?.name ?? "",
    description: r?.description ?? "",
    condition: r?.condition ?? "greater_than",
    threshold: String(r?.threshold ?? 10),
    time_window: String(r?.time_window ?? 5),
    levels: r?.levels ?? ["ERROR", "CRITICAL"],
    services: (r?.services ?? []).join(", "),
    query: r?.query ?? "",
    notification_channel: r?.notification_channel ?? "console",
    url: typeof url === "string" ? url : "",
    severity: r?.severity ?? "warning",
    cooldown_minutes: String(r?.cooldown_minutes ?? 0),
    is_active: r?.is_active ?? true,
    auto_resolve: r?.auto_resolve ?? true,
    notify_on_resolve: r?.notify_on_resolve ?? false,
    anomaly_severity: r?.anomaly_severity ?? "",
  };
}

/** Numbers go to the API as typed: "" or "abc" become NaN → null, and the API names the field. */
function num(v: string): number | null {
  const n = Number(v);
  return v.trim() === "" || Number.isNaN(n) ? null : n;
}

function body(d: Draft): Record<string, unknown> {
  const anomalies = d.anomaly_severity !== "";
  return {
    name: d.name,
    description: d.description.trim() || null,
    condition: d.condition,
    threshold: num(d.threshold),
    time_window: num(d.time_window),
    // An anomaly rule counts anomalies: levels and query do not apply (the API refuses them).
    levels: anomalies ? [] : d.levels,
    services: d.services
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    query: anomalies ? null : d.query.trim() || null,
    notification_channel: d.notification_channel,
    notification_config: d.notification_channel === "console" ? {} : { url: d.url.trim() },
    severity: d.severity,
    cooldown_minutes: num(d.cooldown_minutes),
    is_active: d.is_active,
    auto_resolve: d.auto_resolve,
    notify_on_resolve: d.notify_on_resolve,
    anomaly_severity: anomalies ? d.anomaly_severity : null,
  };
}

/**
 * Create or edit a rule. Validation is the API's: its 422 names each bad field, and the message is
 * shown next to that field (and summarised at the top for screen readers).
 */
export function RuleForm(props: {
  rule?: AlertRule;
  onSaved: (rule: AlertRule, secret?: string) => void;
  onCancel: () => void;
}) {
  const [d, setD] = createSignal<Draft>(draftOf(props.rule));
  const [errors, setErrors] = createSignal<FieldError[]>([]);
  const [failure, setFailure] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setD((x) => ({ ...x, [k]: v }));
  const errorFor = (...fields: string[]) =>
    errors()
      .filter((e) => fields.some((f) => e.field === f || e.field.startsWith(`${f}.`)))
      .map((e) => e.message)
      .join("; ");

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setErrors([]);
    setFailure(null);
    try {
      const payload = body(d()) as Partial<AlertRuleFields>;
      if (props.rule) props.onSaved(await updateRule(props.rule.id, payload));
      else {
        const created = await createRule(payload);
        props.onSaved(
          created,
          created.notification_channel === "console" ? undefined : created.signing_secret,
        );
      }
    } catch (err) {
      if (err instanceof ApiError && err.fieldErrors.length > 0) {
        setErrors(err.fieldErrors);
        setFailure("The rule was not saved: fix the fields marked below.");
      } else setFailure(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  const Err = (p: { id: string; fields: string[] }) => (
    <Show when={errorFor(...p.fields)}>
      <span class="field-error" id={p.id}>
        {errorFor(...p.fields)}
      </span>
    </Show>
  );
  const described = (id: string, ...fields: string[]) => (errorFor(...fields) ? id : undefined);

  return (
    <form class="panel" onSubmit={submit} aria-labelledby="rule-form-title" novalidate>
      <h2 id="rule-form-title" style={{ "margin-top": 0 }}>
        {props.rule ? `Edit rule “${props.rule.name}”` : "New alert rule"}
      </h2>
      <Show when={failure()}>
        <div class="state state-error" role="alert">
          <p>{failure()}</p>
          <Show when={errors().length > 0}>
            <ul>
              <For each={errors()}>
                {(e) => (
                  <li>
                    {e.field}: {e.message}
                  </li>
                )}
              </For>
            </ul>
          </Show>
        </div>
      </Show>
      <div class="form-grid">
        <label>
          Name
          <input
            name="name"
            value={d().name}
            onInput={(e) => set("name", e.currentTarget.value)}
            aria-invalid={!!errorFor("name")}
            aria-describedby={described("err-name", "name")}
          />
          <Err id="err-name" fields={["name"]} />
        </label>
        <label>
          Counts
          <select
            name="anomaly_severity"
            value={d().anomaly_severity}
            onChange={(e) => set("anomaly_severity", e.currentTarget.value)}
          >
            <option value="">log lines</option>
            <For each={ANOMALY_SEVERITIES}>{(s) => <option value={s}>anomalies, {s} or worse</option>}</For>
          </select>
          <Err id="err-anomaly" fields={["anomaly_severity"]} />
        </label>
        <label>
          Fires when the count is
          <select
            name="condition"
            value={d().condition}
            onChange={(e) => set("condition", e.currentTarget.value as Draft["condition"])}
          >
            <For each={CONDITIONS}>{(c) => <option value={c.value}>{c.label}</option>}</For>
          </select>
          <Err id="err-condition" fields={["condition"]} />
        </label>
        <label>
          Threshold
          <input
            name="threshold"
            inputmode="decimal"
            value={d().threshold}
            onInput={(e) => set("threshold", e.currentTarget.value)}
            aria-invalid={!!errorFor("threshold")}
            aria-describedby={described("err-threshold", "threshold")}
          />
          <Err id="err-threshold" fields={["threshold"]} />
        </label>
        <label>
          Time window (minutes)
          <input
            name="time_window"
            inputmode="numeric"
            value={d().time_window}
            onInput={(e) => set("time_window", e.currentTarget.value)}
            aria-invalid={!!errorFor("time_window")}
            aria-describedby={described("err-time_window", "time_window")}
          />
          <Err id="err-time_window" fields={["time_window"]} />
        </label>
        <label>
          Services (comma-separated, empty for all)
          <input
            name="services"
            value={d().services}
            onInput={(e) => set("services", e.currentTarget.value)}
          />
          <Err id="err-services" fields={["services"]} />
        </label>
        <Show when={d().anomaly_severity === ""}>
          <label>
            Search query (optional)
            <input name="query" value={d().query} onInput={(e) => set("query", e.currentTarget.value)} />
            <Err id="err-query" fields={["query"]} />
          </label>
        </Show>
        <label>
          Severity
          <select
            name="severity"
            value={d().severity}
            onChange={(e) => set("severity", e.currentTarget.value)}
          >
            <For each={SEVERITIES}>{(s) => <option value={s}>{s}</option>}</For>
          </select>
        </label>
        <label>
          Cooldown (minutes)
          <input
            name="cooldown_minutes"
            inputmode="numeric"
            value={d().cooldown_minutes}
            onInput={(e) => set("cooldown_minutes", e.currentTarget.value)}
            aria-invalid={!!errorFor("cooldown_minutes")}
          />
          <Err id="err-cooldown" fields={["cooldown_minutes"]} />
        </label>
        <label>
          Notify via
          <select
            name="notification_channel"
            value={d().notification_channel}
            onChange={(e) => set("notification_channel", e.currentTarget.value)}
          >
            <For each={CHANNELS}>{(c) => <option value={c}>{c}</option>}</For>
          </select>
          <Err id="err-channel" fields={["notification_channel"]} />
        </label>
        <Show when={d().notification_channel !== "console"}>
          <label>
            Webhook URL
            <input
              name="url"
              type="url"
              value={d().url}
              onInput={(e) => set("url", e.currentTarget.value)}
              aria-invalid={!!errorFor("notification_config")}
              aria-describedby={described("err-url", "notification_config")}
            />
            <Err id="err-url" fields={["notification_config"]} />
          </label>
        </Show>
      </div>
      <Show when={d().anomaly_severity === ""}>
        <fieldset style={{ "margin-top": "0.6rem" }}>
          <legend>Levels counted (none for all)</legend>
          <For each={LEVELS}>
            {(l) => (
              <label class="inline">
                <input
                  type="checkbox"
                  checked={d().levels.includes(l)}
                  onChange={(e) =>
                    set(
                      "levels",
                      e.currentTarget.checked ? [...d().levels, l] : d().levels.filter((x) => x !== l),
                    )
                  }
                />
                <span class={`level level-${l.toLowerCase()}`}>{l}</span>
              </label>
            )}
          </For>
          <Err id="err-levels" fields={["levels"]} />
        </fieldset>
      </Show>
      <label style={{ display: "flex", "margin-top": "0.6rem" }}>
        Description (optional)
        <textarea
          name="description"
          rows="2"
          value={d().description}
          onInput={(e) => set("description", e.currentTarget.value)}
        />
      </label>
      <div class="toolbar">
        <label class="inline">
          <input
            type="checkbox"
            checked={d().is_active}
            onChange={(e) => set("is_active", e.currentTarget.checked)}
          />
          Active
        </label>
        <label class="inline">
          <input
            type="checkbox"
            checked={d().auto_resolve}
            onChange={(e) => set("auto_resolve", e.currentTarget.checked)}
          />
          Resolve by itself when the condition stops holding
        </label>
        <label class="inline">
          <input
            type="checkbox"
            checked={d().notify_on_resolve}
            onChange={(e) => set("notify_on_resolve", e.currentTarget.checked)}
          />
          Notify when resolved
        </label>
      </div>
      <div class="toolbar">
        <button type="submit" class="primary" disabled={busy()}>
          {busy() ? "Saving…" : props.rule ? "Save changes" : "Create rule"}
        </button>
        <button type="button" onClick={() => props.onCancel()}>
          Cancel
        </button>
      </div>
    </form>
  );
}
