-- The order in which events became visible, for the live tail (core/ports/log-arrivals.ts). Each row
-- keeps the id of the transaction that stored it; ids of transactions below the oldest one still running
-- (pg_snapshot_xmin) belong to transactions that have all ended, so the rows below that mark are final
-- and a reader that has seen them all can go on from there without a gap, whatever the events' own
-- timestamps. A timestamp cursor would miss a late event; a sequence would be handed out in insert
-- order but become visible in commit order.
--
-- Rows stored before this migration keep no arrival (the column is added empty, without rewriting the
-- table): they were all stored before any tail could start. The index holds only rows that have one.
ALTER TABLE logs ADD COLUMN arrival xid8;
ALTER TABLE logs ALTER COLUMN arrival SET DEFAULT pg_current_xact_id();
CREATE INDEX logs_arrival_idx ON logs (arrival) WHERE arrival IS NOT NULL;
