import type { Migration } from "../../core/adapters/postgres/migrate.ts";
import init from "./0001_init.sql" with { type: "text" };
import alerting from "./0002_alerting.sql" with { type: "text" };
import logMinutes from "./0003_log_minutes.sql" with { type: "text" };
import apiKeys from "./0004_api_keys.sql" with { type: "text" };
import anomalies from "./0005_anomalies.sql" with { type: "text" };
import searchWords from "./0006_search_words.sql" with { type: "text" };
import searchWordWeights from "./0007_search_word_weights.sql" with { type: "text" };
import attributeIndex from "./0008_attribute_index.sql" with { type: "text" };
import patterns from "./0009_patterns.sql" with { type: "text" };
import security from "./0010_security.sql" with { type: "text" };
import arrivalOrder from "./0011_arrival_order.sql" with { type: "text" };
import retentionRules from "./0013_retention_rules.sql" with { type: "text" };
import savedSearches from "./0014_saved_searches.sql" with { type: "text" };
import groupedAlerts from "./0015_grouped_alerts.sql" with { type: "text" };

/**
 * Every migration, bundled as text so that the same list works on Bun, Deno and Workers (no file system
 * at run time). Add a file as NNNN_name.sql and list it here.
 */
export const MIGRATIONS: Migration[] = [
  { version: 1, name: "init", sql: init },
  { version: 2, name: "alerting", sql: alerting },
  { version: 3, name: "log_minutes", sql: logMinutes },
  { version: 4, name: "api_keys", sql: apiKeys },
  { version: 5, name: "anomalies", sql: anomalies },
  { version: 6, name: "search_words", sql: searchWords },
  { version: 7, name: "search_word_weights", sql: searchWordWeights },
  { version: 8, name: "attribute_index", sql: attributeIndex },
  { version: 9, name: "patterns", sql: patterns },
  { version: 10, name: "security", sql: security },
  { version: 11, name: "arrival_order", sql: arrivalOrder },
  { version: 13, name: "retention_rules", sql: retentionRules },
  { version: 14, name: "saved_searches", sql: savedSearches },
  { version: 15, name: "grouped_alerts", sql: groupedAlerts },
];
