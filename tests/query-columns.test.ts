import { expect, test } from "bun:test";
import { PATTERN_COLUMN } from "../core/query/postgres.ts";
import { MIGRATIONS } from "../db/migrations/index.ts";

// `pattern:<id>` reads the column migration 9 adds; before it is registered the compiler must not name a
// column that is not there (every `pattern:` query would fail), and after it must not keep answering
// "no event has a pattern". Flip PATTERN_COLUMN in the change that registers the migration.
test("the query compiler reads logs.pattern exactly when the migration that adds it is registered", () => {
  const registered = MIGRATIONS.some((m) => /alter table logs add column pattern/i.test(m.sql));
  expect({ PATTERN_COLUMN }).toEqual({ PATTERN_COLUMN: registered });
});
