-- Search words know where they came from (core/search-text.ts, tsvectorText): service words carry weight
-- A and message words the default D, so `message:word` is `'word':D`, served by the same GIN index; and
-- one position is left empty between service and message, so that a phrase never starts in the service
-- and ends in the message (a search engine keeps two values of a field apart the same way). The
-- function that gives words to rows stored without them (`bun run db:recount`) makes the same text, and
-- every row is given it once, so that `message:` is exact for events stored before this migration too.
CREATE OR REPLACE FUNCTION logflow_search_words(service text, message text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN coalesce((
  SELECT string_agg('''' || w || ''':' || pos || weight, ' ')::tsvector
  FROM (
    SELECT w, weight, row_number() OVER (ORDER BY part, o) + part - 1 AS pos
    FROM (
      SELECT 1 AS part, 'A' AS weight, w, o
      FROM regexp_split_to_table(lower(service), '[\x01-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f\u0080-\u00a9\u00ab-\u00b1\u00b4\u00b6-\u00b8\u00bb\u00bf\u00d7\u00f7\u02c2-\u02c5\u02d2-\u02df\u2000-\u206f\u20a0-\u20cf\u2100-\u2101\u2190-\u23ff\u2500-\u2775\u2794-\u27bf\u2900-\u2bff\u2e00-\u2e2e\u2e30-\u2e7f\u3000-\u3004\u3008-\u3020\u3030\ufe30-\ufe4f\ufe50-\ufe6b\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\ufff0-\uffff\U0001f000-\U0001f0ff\U0001f10d-\U0001faff]+') WITH ORDINALITY AS t(w, o)
      UNION ALL
      SELECT 2, '', w, o
      FROM regexp_split_to_table(lower(message), '[\x01-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f\u0080-\u00a9\u00ab-\u00b1\u00b4\u00b6-\u00b8\u00bb\u00bf\u00d7\u00f7\u02c2-\u02c5\u02d2-\u02df\u2000-\u206f\u20a0-\u20cf\u2100-\u2101\u2190-\u23ff\u2500-\u2775\u2794-\u27bf\u2900-\u2bff\u2e00-\u2e2e\u2e30-\u2e7f\u3000-\u3004\u3008-\u3020\u3030\ufe30-\ufe4f\ufe50-\ufe6b\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\ufff0-\uffff\U0001f000-\U0001f0ff\U0001f10d-\U0001faff]+') WITH ORDINALITY AS t(w, o)
    ) parts
    WHERE w <> ''
  ) words
  WHERE octet_length(w) <= 2046
), ''::tsvector);

UPDATE logs SET search = logflow_search_words(service, message);
