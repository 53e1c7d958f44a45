import { createSignal, For, Show } from "solid-js";
import {
  AGGREGATIONS,
  type AlertRule,
  type AlertRuleFields,
  ANOMALY_SEVERITIES,
  CHANNELS,
  CONDITIONS,
  comparedValue,
  createRule,
  SEVERITIES,
  updateRule,
} from "../../data/alerts.ts";
import { ApiError, describeError, type FieldError } from "../../data/api.ts";
import { LEVELS, type Level } from "../../data/logs.ts";
import { Checkbox, CheckboxGroup, SelectField, TextField } from "../../ui/fields.tsx";
import { LevelBadge } from "../../ui/level.tsx";
import { RulePreview } from "./rule-preview.tsx";

type Draft = {
  name: string;
  description: string;
  condition: AlertRuleFields["condition"];
  threshold: string;
  time_window: string;
  levels: Level[];
  services: string;
  query: string;
  aggregation: AlertRuleFields["aggregation"];
  /** The numeric attribute an aggregation other than count reads. */
  field: string;
  /** Comma-separated field names: one evaluation (and alert) per group. */
  group_by: string;
  absence_lookback_minutes: string;
  notification_channel: string;
  url: string;
  severity: string;
  cooldown_minutes: string;
  is_active: boolean;
  auto_resolve: boolean;
  notify_on_resolve: boolean;
  /** "" counts logs; a severity counts anomalies of at least that severity; NEW_PATTERN new patterns. */
  anomaly_severity: string;
};

/** The "Counts" choice of a rule on new log patterns (`new_pattern`), beside logs and anomalies. */
const NEW_PATTERN = "new-pattern";

/** Whether the draft counts recorded anomalies (levels and query then do not apply). */
const countsAnomalies = (d: Draft) => d.anomaly_severity !== "" && d.anomaly_severity !== NEW_PATTERN;

/** Only a rule on log lines aggregates and groups (anomaly and new-pattern rules count, ungrouped). */
const countsLogs = (d: Draft) => d.anomaly_severity === "";

const names = (text: string) =>
  text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * Whether the absence lookback applies: a grouped count whose condition 0 can satisfy (the engine's
 * test also weighs the threshold; the field is offered for any such condition).
 */
const watchesAbsence = (d: Draft) =>
  countsLogs(d) &&
  d.aggregation === "count" &&
  names(d.group_by).length > 0 &&
  ["less_than", "less_than_or_equal", "equals"].includes(d.condition);

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
    aggregation: r?.aggregation ?? "count",
    field: r?.field ?? "",
    group_by: (r?.group_by ?? []).join(", "),
    absence_lookback_minutes: String(r?.absence_lookback_minutes ?? 1440),
    notification_channel: r?.notification_channel ?? "console",
    url: typeof url === "string" ? url : "",
    severity: r?.severity ?? "warning",
    cooldown_minutes: String(r?.cooldown_minutes ?? 0),
    is_active: r?.is_active ?? true,
    auto_resolve: r?.auto_resolve ?? true,
    notify_on_resolve: r?.notify_on_resolve ?? false,
    anomaly_severity: r?.new_pattern ? NEW_PATTERN : (r?.anomaly_severity ?? ""),
  };
}

/** The form's own names for the fields the API names, for the summary of what is wrong. */
const LABELS: Record<string, string> = {
  name: "Name",
  description: "Description",
  condition: "Fires when the count is",
  threshold: "Threshold",
  time_window: "Time window (minutes)",
  levels: "Levels counted",
  services: "Services",
  query: "Search query",
  aggregation: "Compares",
  field: "Numeric field",
  group_by: "Group by",
  absence_lookback_minutes: "Silent groups: look back (minutes)",
  notification_channel: "Notify via",
  notification_config: "URL",
  severity: "Severity",
  cooldown_minutes: "Cooldown (minutes)",
  anomaly_severity: "Counts",
};
export const labelOf = (field: string) => LABELS[field.split(".")[0]!] ?? field;

/** The API's message in the form's words: a type mismatch on a number field says so plainly. */
export function plainMessage(message: string): string {
  if (/expected number/i.test(message)) return "must be a number";
  if (/expected (string|nonoptional)|required/i.test(message)) return "is required";
  return message;
}

/** The numeric fields shown, checked before anything is sent: "abc" is said to be no number at once. */
const numberFields = (d: Draft) =>
  [
    "threshold",
    "time_window",
    "cooldown_minutes",
    ...(watchesAbsence(d) ? (["absence_lookback_minutes"] as const) : []),
  ] as const;

/** Numbers go to the API as typed: "" or "abc" become NaN → null, and the API names the field. */
function num(v: string): number | null {
  const n = Number(v);
  return v.trim() === "" || Number.isNaN(n) ? null : n;
}

function body(d: Draft): Record<string, unknown> {
  const anomalies = countsAnomalies(d);
  const logs = countsLogs(d);
  const aggregation = logs ? d.aggregation : "count";
  return {
    name: d.name,
    description: d.description.trim() || null,
    condition: d.condition,
    threshold: num(d.threshold),
    time_window: num(d.time_window),
    // An anomaly rule counts anomalies: levels and query do not apply (the API refuses them).
    levels: anomalies ? [] : d.levels,
    services: names(d.services),
    query: anomalies ? null : d.query.trim() || null,
    aggregation,
    // Sent as typed (the API names a bad one); null for a count, which reads no field.
    field: aggregation === "count" ? null : d.field.trim() || null,
    group_by: logs ? names(d.group_by) : [],
    // Left out when it does not apply: the API's default (create) or the stored value (edit) stays.
    ...(watchesAbsence(d) ? { absence_lookback_minutes: num(d.absence_lookback_minutes) } : {}),
    notification_channel: d.notification_channel,
    notification_config: d.notification_channel === "console" ? {} : { url: d.url.trim() },
    severity: d.severity,
    cooldown_minutes: num(d.cooldown_minutes),
    is_active: d.is_active,
    auto_resolve: d.auto_resolve,
    notify_on_resolve: d.notify_on_resolve,
    anomaly_severity: anomalies ? d.anomaly_severity : null,
    new_pattern: d.anomaly_severity === NEW_PATTERN,
  };
}

/**
 * Create or edit a rule. Validation is the API's: its 422 names each bad field, and the message is
 * shown next to that field (and summarised at the top for screen readers).
 */
export function RuleForm(props: {
  rule?: AlertRule;
  /** A new rule's fields from elsewhere ("Alert on this search"). */
  prefill?: { query?: string; services?: string; levels?: Level[] };
  onSaved: (rule: AlertRule, secret?: string) => void;
  onCancel: () => void;
}) {
  const prefilled = () => {
    const d = draftOf(props.rule);
    const p = props.prefill;
    if (props.rule || !p) return d;
    return {
      ...d,
      query: p.query ?? d.query,
      services: p.services ?? d.services,
      levels: p.levels ?? d.levels,
      name: p.query ? `Search: ${p.query.slice(0, 60)}` : d.name,
    };
  };
  const [d, setD] = createSignal<Draft>(prefilled());
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
    setErrors([]);
    setFailure(null);
    const notNumbers = numberFields(d())
      .filter((f) => num(d()[f]) === null)
      .map((f) => ({
        field: f,
        message: "must be a number",
      }));
    if (notNumbers.length > 0) {
      setErrors(notNumbers);
      setFailure("The rule was not saved: fix the fields marked below.");
      return;
    }
    setBusy(true);
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
        setErrors(err.fieldErrors.map((f) => ({ ...f, message: plainMessage(f.message) })));
        setFailure("The rule was not saved: fix the fields marked below.");
      } else setFailure(describeError(err));
    } finally {
      setBusy(false);
    }
  }

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
                    {labelOf(e.field)}: {e.message}
                  </li>
                )}
              </For>
            </ul>
          </Show>
        </div>
      </Show>
      <div class="form-grid">
        <TextField
          label="Name"
          name="name"
          value={d().name}
          onValue={(v) => set("name", v)}
          error={errorFor("name")}
        />
        <SelectField
          label="Counts"
          name="anomaly_severity"
          value={d().anomaly_severity}
          options={[
            { value: "", label: "log lines" },
            { value: NEW_PATTERN, label: "new log patterns (fires once for each)" },
            ...ANOMALY_SEVERITIES.map((s) => ({ value: s, label: `anomalies, ${s} or worse` })),
          ]}
          onValue={(v) => set("anomaly_severity", v)}
          error={errorFor("anomaly_severity")}
        />
        <Show when={countsLogs(d())}>
          <SelectField
            label="Compares"
            name="aggregation"
            value={d().aggregation}
            options={AGGREGATIONS}
            onValue={(v) => set("aggregation", v as Draft["aggregation"])}
            error={errorFor("aggregation")}
          />
          <Show when={d().aggregation !== "count"}>
            <TextField
              label="Numeric field (such as latency_ms)"
              name="field"
              value={d().field}
              onValue={(v) => set("field", v)}
              error={errorFor("field")}
            />
          </Show>
        </Show>
        <SelectField
          label={`Fires when the ${countsLogs(d()) ? comparedValue({ ...d(), field: d().field.trim() || "field" }) : "count"} is`}
          name="condition"
          value={d().condition}
          options={CONDITIONS}
          onValue={(v) => set("condition", v as Draft["condition"])}
          error={errorFor("condition")}
        />
        <TextField
          label="Threshold"
          name="threshold"
          inputmode="decimal"
          value={d().threshold}
          onValue={(v) => set("threshold", v)}
          error={errorFor("threshold")}
        />
        <TextField
          label="Time window (minutes)"
          name="time_window"
          inputmode="numeric"
          value={d().time_window}
          onValue={(v) => set("time_window", v)}
          error={errorFor("time_window")}
        />
        <TextField
          label="Services (comma-separated, empty for all)"
          name="services"
          value={d().services}
          onValue={(v) => set("services", v)}
          error={errorFor("services")}
        />
        <Show when={!countsAnomalies(d())}>
          <TextField
            label="Search query (optional)"
            name="query"
            value={d().query}
            onValue={(v) => set("query", v)}
            error={errorFor("query")}
          />
        </Show>
        <Show when={countsLogs(d())}>
          <TextField
            label="Group by (comma-separated, empty for none)"
            name="group_by"
            placeholder="service, http.status"
            value={d().group_by}
            onValue={(v) => set("group_by", v)}
            error={errorFor("group_by")}
          >
            <small class="muted">One evaluation and one alert for each value of these fields.</small>
          </TextField>
        </Show>
        <Show when={watchesAbsence(d())}>
          <TextField
            label="Silent groups: look back (minutes)"
            name="absence_lookback_minutes"
            inputmode="numeric"
            value={d().absence_lookback_minutes}
            onValue={(v) => set("absence_lookback_minutes", v)}
            error={errorFor("absence_lookback_minutes")}
          >
            <small class="muted">
              A group seen this long before the window that sent nothing in it counts 0, so a service that
              goes silent fires.
            </small>
          </TextField>
        </Show>
        <SelectField
          label="Severity"
          name="severity"
          value={d().severity}
          options={SEVERITIES}
          onValue={(v) => set("severity", v)}
          error={errorFor("severity")}
        />
        <TextField
          label="Cooldown (minutes)"
          name="cooldown_minutes"
          inputmode="numeric"
          value={d().cooldown_minutes}
          onValue={(v) => set("cooldown_minutes", v)}
          error={errorFor("cooldown_minutes")}
        />
        <SelectField
          label="Notify via"
          name="notification_channel"
          value={d().notification_channel}
          options={CHANNELS}
          onValue={(v) => set("notification_channel", v)}
          error={errorFor("notification_channel")}
        />
        <Show when={d().notification_channel !== "console"}>
          <TextField
            label="Webhook URL"
            name="url"
            type="url"
            value={d().url}
            onValue={(v) => set("url", v)}
            error={errorFor("notification_config")}
          />
        </Show>
      </div>
      <Show when={!countsAnomalies(d())}>
        <CheckboxGroup
          legend="Levels counted (none for all)"
          name="levels"
          options={LEVELS}
          selected={d().levels}
          onSelect={(levels) => set("levels", levels)}
          optionLabel={(l) => <LevelBadge level={l} />}
          error={errorFor("levels")}
          style={{ "margin-top": "0.6rem" }}
        />
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
        <Checkbox checked={d().is_active} onChecked={(v) => set("is_active", v)}>
          Active
        </Checkbox>
        <Checkbox checked={d().auto_resolve} onChecked={(v) => set("auto_resolve", v)}>
          Resolve by itself when the condition stops holding
        </Checkbox>
        <Checkbox checked={d().notify_on_resolve} onChecked={(v) => set("notify_on_resolve", v)}>
          Notify when resolved
        </Checkbox>
      </div>
      {/* The preview counts the whole rule's lines: for a grouped rule or another aggregation it would mislead. */}
      <Show when={countsLogs(d()) && d().aggregation === "count" && names(d().group_by).length === 0}>
        <RulePreview
          query={d().query}
          services={names(d().services)}
          levels={d().levels}
          windowMinutes={Number(d().time_window)}
          threshold={Number(d().threshold)}
          condition={d().condition}
        />
      </Show>
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
