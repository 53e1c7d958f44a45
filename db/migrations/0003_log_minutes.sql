-- Events per (minute, service, level), kept exact by the same statement that inserts into `logs`
-- (only rows actually inserted are counted, so replays change nothing) and by retention.
-- Alert evaluation, metrics and anomaly series read whole minutes here instead of scanning `logs`:
-- a day is at most 1,440 × services × levels rows, however many events it holds. Minutes are UTC
-- (date_bin from the epoch), independent of the session's time zone.
-- `shard` spreads one minute's count over several rows (each connection adds to its own), so that
-- concurrent writers do not queue on one another's row locks; readers sum the shards.
CREATE TABLE log_minutes (
  minute  timestamptz NOT NULL,
  service text NOT NULL,
  level   text NOT NULL,
  shard   smallint NOT NULL DEFAULT 0,
  n       bigint NOT NULL CHECK (n >= 0),
  PRIMARY KEY (minute, service, level, shard)
);
-- One service's series (anomaly detection asks one per service) without reading every service's minutes.
CREATE INDEX log_minutes_service_idx ON log_minutes (service, minute);

INSERT INTO log_minutes (minute, service, level, n)
SELECT date_bin('1 minute', ts, timestamptz '1970-01-01 00:00:00+00'), service, level, count(*)
FROM logs
GROUP BY 1, 2, 3;
