-- Correlation and trace ids are only ever looked up by equality. A hash index answers that as well as a
-- B-tree and costs less to keep: it stores a 4-byte hash per row instead of the whole random id, and an
-- insert lands in one bucket instead of descending a tree of 36-character keys compared one by one.
-- Measured on straight 5,000-row writes (alternating batches, same rows): 4-13 % less Postgres CPU per
-- stored event. Rebuilding them takes a lock that blocks writes to `logs` for as long as the build lasts:
-- on a large store, run this at a quiet time.
DROP INDEX logs_correlation_idx;
DROP INDEX logs_trace_idx;
CREATE INDEX logs_correlation_idx ON logs USING hash (correlation_id) WHERE correlation_id IS NOT NULL;
CREATE INDEX logs_trace_idx ON logs USING hash (trace_id) WHERE trace_id IS NOT NULL;
