-- Per-service retention (issue 18): events of the services a pattern matches are deleted after `days`
-- (never more than RETENTION_DAYS: a rule only shortens). A pattern is a service name, or a glob where
-- `*` stands for any run of characters (`checkout-*`); the most specific one matching a service wins.
-- The hourly retention pass records what each rule removed (last_run_at, last_removed).
CREATE TABLE retention_rules (
  pattern      text PRIMARY KEY CHECK (length(pattern) BETWEEN 1 AND 128),
  days         integer NOT NULL CHECK (days BETWEEN 1 AND 3650),
  created_by   text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_by   text NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  last_run_at  timestamptz,
  last_removed bigint
);
