-- Alerting (issue 6): what the seed's alert_rules and triggered_alerts lacked to evaluate each rule over its
-- own window, fire once per episode and record every notification.

ALTER TABLE alert_rules
  ADD COLUMN query            text,
  ADD COLUMN cooldown_minutes integer NOT NULL DEFAULT 0 CHECK (cooldown_minutes BETWEEN 0 AND 10080),
  ADD COLUMN severity         text NOT NULL DEFAULT 'warning' CHECK (severity IN ('info', 'warning', 'critical')),
  ADD COLUMN auto_resolve     boolean NOT NULL DEFAULT true,
  ADD COLUMN notify_on_resolve boolean NOT NULL DEFAULT false,
  -- Signs webhook deliveries (X-LogFlow-Signature); shown once, when the rule is created.
  ADD COLUMN signing_secret   text,
  ADD COLUMN last_evaluated_at timestamptz,
  ADD COLUMN last_value       double precision,
  ADD CONSTRAINT alert_rules_channel_check
    CHECK (notification_channel IN ('console', 'webhook', 'slack', 'email'));

CREATE INDEX alert_rules_active_idx ON alert_rules (id) WHERE is_active;

ALTER TABLE triggered_alerts
  ADD COLUMN condition      text,
  ADD COLUMN time_window    integer,
  ADD COLUMN window_start   timestamptz,
  ADD COLUMN window_end     timestamptz,
  ADD COLUMN sample_log_ids text[] NOT NULL DEFAULT '{}',
  -- One entry per notification attempt series: {kind, channel, ok, status, attempts, error, at}.
  ADD COLUMN deliveries     jsonb NOT NULL DEFAULT '[]',
  ADD COLUMN auto_resolved  boolean NOT NULL DEFAULT false;

-- At most one open (triggered or acknowledged) alert per rule, whatever schedulers race.
CREATE UNIQUE INDEX triggered_alerts_one_open_idx ON triggered_alerts (rule_id)
  WHERE status IN ('triggered', 'acknowledged');
CREATE INDEX triggered_alerts_time_idx ON triggered_alerts (triggered_at DESC, id DESC);

-- Scheduler ticks, claimed by insert: with several schedulers each tick is evaluated once.
CREATE TABLE alert_ticks (
  tick        bigint PRIMARY KEY,
  claimed_by  text NOT NULL,
  started_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  rules       integer,
  fired       integer,
  resolved    integer,
  error       text
);
