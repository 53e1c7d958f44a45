import type { LogEvent } from "../log-event.ts";
import { searchWordSlots } from "../search-text.ts";
import type { Field, QueryNode, TextNode } from "./ast.ts";
import { type AttributeValue, attributeNumber, attributeText, columnValue } from "./values.ts";

/**
 * The query language's reference semantics: whether one event matches a query. Every engine's compiled
 * query must select exactly the events this selects (the property suite holds them to it). Written for
 * clarity, not speed: it scans an event's words for each text term; a live tail or a test may use it,
 * a search over stored events goes to the engine.
 */
export function matches(node: QueryNode, event: LogEvent): boolean {
  return evaluate(node, new EventView(event));
}

/** An event with its words scanned once, however many text terms ask for them. */
class EventView {
  private serviceWords?: string[];
  private messageWords?: string[];
  constructor(readonly event: LogEvent) {}

  words(part: "service" | "message"): string[] {
    if (part === "service") {
      this.serviceWords ??= searchWordSlots(this.event.service);
      return this.serviceWords;
    }
    this.messageWords ??= searchWordSlots(this.event.message);
    return this.messageWords;
  }

  /** The field's value as text, or null when the event has none. */
  text(field: Field): string | null {
    if (field.kind === "column") return columnValue(this.event, field.name);
    const attributes = this.event.attributes;
    return Object.hasOwn(attributes, field.name)
      ? attributeText(attributes[field.name] as AttributeValue)
      : null;
  }
}

function evaluate(node: QueryNode, e: EventView): boolean {
  switch (node.type) {
    case "all":
      return true;
    case "none":
      return false;
    case "and":
      return node.children.every((c) => evaluate(c, e));
    case "or":
      return node.children.some((c) => evaluate(c, e));
    case "not":
      return !evaluate(node.child, e);
    case "text":
      return (
        containsPhrase(e.words("message"), node) ||
        (!node.messageOnly && containsPhrase(e.words("service"), node))
      );
    case "equals":
      return e.text(node.field) === node.value;
    case "prefix":
      return e.text(node.field)?.startsWith(node.value) ?? false;
    case "exists":
      return e.text(node.field) !== null;
    case "range": {
      const attributes = e.event.attributes;
      if (!Object.hasOwn(attributes, node.attribute)) return false;
      const n = attributeNumber(attributes[node.attribute] as AttributeValue);
      if (n === undefined) return false;
      const { lower, upper } = node;
      if (lower && !(lower.inclusive ? n >= lower.value : n > lower.value)) return false;
      if (upper && !(upper.inclusive ? n <= upper.value : n < upper.value)) return false;
      return true;
    }
  }
}

/** Whether the words occur adjacent and in order in `slots` (a too-long stored word is "" and matches nothing). */
function containsPhrase(slots: string[], t: TextNode): boolean {
  const n = t.words.length;
  const last = n - 1;
  for (let i = 0; i + n <= slots.length; i++) {
    let ok = true;
    for (let j = 0; j < n && ok; j++) {
      const stored = slots[i + j] as string;
      const word = t.words[j] as string;
      ok = j === last && t.prefix ? stored !== "" && stored.startsWith(word) : stored === word;
    }
    if (ok) return true;
  }
  return false;
}
