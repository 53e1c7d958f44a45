-- Alerts on queries (issue 21): rules that group by fields and compare an aggregation of a numeric field,
-- one episode per group, and groups that went silent.

ALTER TABLE alert_rules
  ADD COLUMN group_by                 text[] NOT NULL DEFAULT '{}',
  ADD COLUMN aggregation              text NOT NULL DEFAULT 'count'
    CHECK (aggregation IN ('count', 'sum', 'avg', 'min', 'max', 'p50', 'p90', 'p95', 'p99')),
  ADD COLUMN field                    text,
  ADD COLUMN absence_lookback_minutes integer NOT NULL DEFAULT 1440
    CHECK (absence_lookback_minutes BETWEEN 1 AND 10080),
  -- Absence rules: the end of the last window whose groups are in alert_groups_seen; null (or older than
  -- the next window's start) means the seen groups must be read again from the logs.
  ADD COLUMN groups_seen_until        timestamptz;

-- The group an alert is about ({"service": "checkout"}); null for an ungrouped rule.
ALTER TABLE triggered_alerts
  ADD COLUMN group_values jsonb,
  ADD COLUMN aggregation  text;

-- At most one open alert per rule and group (one per rule for ungrouped rules, as before).
DROP INDEX triggered_alerts_one_open_idx;
CREATE UNIQUE INDEX triggered_alerts_one_open_idx ON triggered_alerts (rule_id, coalesce(group_values, 'null'::jsonb))
  WHERE status IN ('triggered', 'acknowledged');

-- The groups an absence rule has seen, and the newest time each was seen: a group seen within the
-- lookback that sends nothing in the window counts 0.
CREATE TABLE alert_groups_seen (
  rule_id      bigint NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
  group_values jsonb NOT NULL,
  last_seen    timestamptz NOT NULL,
  PRIMARY KEY (rule_id, group_values)
);
