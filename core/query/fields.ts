import type { LogEvent } from "../log-event.ts";
import { compareGroups, fieldText } from "./aggregate.ts";
import { COLUMN_FIELDS, type Field } from "./ast.ts";
import { type Fields, fieldNameOf } from "./schema.ts";
import { columnValue } from "./values.ts";

/**
 * The fields present in some events with their most frequent values: what GET /api/v1/logs/fields
 * answers for a sample of the matching events. Columns come first when equally common; values are
 * text as the query language compares them (`500`, `true`), so each `name:value` can be typed back.
 */
export function fieldsOf(events: LogEvent[], top: number): Fields["fields"] {
  const counts = new Map<string, { field: Field; count: number; values: Map<string, number> }>();
  const see = (field: Field, value: string | null) => {
    if (value === null) return;
    const key = `${field.kind}:${field.name}`;
    let entry = counts.get(key);
    if (!entry) {
      entry = { field, count: 0, values: new Map() };
      counts.set(key, entry);
    }
    entry.count++;
    entry.values.set(value, (entry.values.get(value) ?? 0) + 1);
  };
  for (const e of events) {
    for (const name of COLUMN_FIELDS) see({ kind: "column", name }, columnValue(e, name));
    for (const name of Object.keys(e.attributes)) {
      const field: Field = { kind: "attribute", name };
      see(field, fieldText(e, field));
    }
  }
  return [...counts.values()]
    .sort(
      (a, b) =>
        b.count - a.count ||
        (a.field.kind === b.field.kind ? 0 : a.field.kind === "column" ? -1 : 1) ||
        compareGroups([fieldNameOf(a.field)], [fieldNameOf(b.field)]),
    )
    .map((f) => ({
      name: fieldNameOf(f.field),
      kind: f.field.kind,
      count: f.count,
      distinct: f.values.size,
      top: [...f.values.entries()]
        .sort((a, b) => b[1] - a[1] || compareGroups([a[0]], [b[0]]))
        .slice(0, top)
        .map(([value, count]) => ({ value, count })),
    }));
}
