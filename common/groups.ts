/**
 * How an alert's group is written for people: `service=checkout, host=(none)`. Written once for the
 * engine's notifications (core/alerts) and the dashboard's triggered alerts, so the group a message
 * names reads the same on the page that lists it.
 */

/** A group's values by field; null where the event had no value. */
export type GroupValues = Record<string, string | null>;

/** `service=checkout, level=ERROR`, the fields in `fields`' order (by default the group's own). */
export function groupLabel(group: GroupValues, fields: readonly string[] = Object.keys(group)): string {
  return fields.map((f) => `${f}=${group[f] ?? "(none)"}`).join(", ");
}
