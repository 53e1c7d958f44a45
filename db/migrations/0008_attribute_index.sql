-- Attribute filters through an index: the query language compiles `user_id:u_42` and `http.status:502`
-- to containment (`attributes @> '{"user_id": "u_42"}'`, core/query/postgres.ts), which this GIN index
-- answers without reading every row of the time range. jsonb_path_ops keeps one hash per key and value
-- (jsonb_ops keeps keys and values apart, larger and dearer to insert into); it does not answer
-- existence (`attributes ? 'user_id'`), which is rarely selective, nor ranges, which read the rows the
-- other terms and the time range select.
CREATE INDEX logs_attributes_idx ON logs USING gin (attributes jsonb_path_ops);
