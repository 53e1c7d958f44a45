-- Log patterns (core/patterns): each event keeps the id of the template its message belongs to, and
-- `patterns` keeps the templates. The column is added empty, without rewriting the table: events stored
-- before it have no pattern. The index answers `pattern:<id>` over a time range and the per-pattern
-- counts of GET /api/v1/logs/patterns; it holds only rows that have one.
ALTER TABLE logs ADD COLUMN pattern text;
CREATE INDEX logs_pattern_ts_idx ON logs (pattern, ts) WHERE pattern IS NOT NULL;

-- One row per template id ever handed out. An id is a function of the service and the first line that
-- started the template (core/patterns/pattern-id.ts), so indexers that meet a template alike name it
-- alike; where two named one template differently and reconciled, the one merged away points at the
-- survivor (`merged_into`), which readers follow: stored events never need rewriting. `count` sums what
-- every indexer assigned (a replayed Kafka batch counts again); event counts over a range come from
-- `logs` itself.
CREATE TABLE patterns (
  id          text PRIMARY KEY,
  service     text NOT NULL,
  template    text NOT NULL,
  first_seen  timestamptz NOT NULL,
  last_seen   timestamptz NOT NULL,
  count       bigint NOT NULL DEFAULT 0,
  merged_into text
);
CREATE INDEX patterns_service_idx ON patterns (service, first_seen);
CREATE INDEX patterns_first_seen_idx ON patterns (first_seen);

-- Each miner's state (core/patterns/snapshot.ts), per service and process: what a restarted process
-- restores, and what the indexers of a cluster absorb from one another to agree on ids.
CREATE TABLE pattern_miners (
  service    text NOT NULL,
  node       text NOT NULL,
  snapshot   jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (service, node)
);

-- Alert rules on new patterns: a rule with new_pattern counts templates first seen in its window that
-- it has not alerted on yet, and fires once for each (alerted_patterns keeps which it has).
ALTER TABLE alert_rules ADD COLUMN new_pattern boolean NOT NULL DEFAULT false;
CREATE TABLE alerted_patterns (
  rule_id    bigint NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
  pattern_id text NOT NULL,
  alerted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rule_id, pattern_id)
);
