import { describe, expect, test } from "bun:test";
import { logEvent } from "../../tests/helpers/events.ts";
import { integrationTimeouts } from "../../tests/helpers/timeouts.ts";
import type { LogEvent } from "../log-event.ts";
import { matches } from "./evaluate.ts";
import { parseLogQuery } from "./parse.ts";

// CPU-heavy (many random cases): a loaded CI machine runs it several times slower.
integrationTimeouts();

const T0 = Date.UTC(2026, 0, 1);

function ev(fields: Partial<LogEvent>): LogEvent {
  return logEvent(T0, fields);
}

/** Which of the events (by message) the query selects. */
function select(q: string, events: LogEvent[]): string[] {
  const tree = parseLogQuery(q);
  return events.filter((e) => matches(tree, e)).map((e) => e.message);
}

describe("text", () => {
  const events = [
    ev({ service: "payment-service", message: "card declined for user u_42" }),
    ev({ service: "checkout", message: "GET /api/v1/users/u_420/profile 200" }),
    ev({ service: "checkout", message: "java.lang.NullPointerException at Cart.java:42" }),
  ];

  test("words in service or message, any case; terms of several words are phrases", () => {
    expect(select("CARD", events)).toEqual(["card declined for user u_42"]);
    expect(select("checkout", events)).toHaveLength(2);
    expect(select("u_42", events)).toEqual(["card declined for user u_42"]);
    expect(select('"declined card"', events)).toEqual([]);
    expect(select("NullPointerException", events)).toEqual([
      "java.lang.NullPointerException at Cart.java:42",
    ]);
  });

  test("a phrase never spans the end of the service and the start of the message", () => {
    expect(select('"service card"', events)).toEqual([]);
    expect(select('"payment service"', events)).toEqual(["card declined for user u_42"]);
  });

  test("message: looks in the message only", () => {
    expect(select("message:checkout", events)).toEqual([]);
    expect(select("message:payment", events)).toEqual([]);
    expect(select('message:"card declined"', events)).toEqual(["card declined for user u_42"]);
  });

  test("a prefix matches the start of a word, also as the last word of a phrase", () => {
    expect(select("null*", events)).toEqual(["java.lang.NullPointerException at Cart.java:42"]);
    expect(select("u_42*", events)).toEqual([
      "card declined for user u_42",
      "GET /api/v1/users/u_420/profile 200",
    ]);
    expect(select("users/u_42*", events)).toEqual(["GET /api/v1/users/u_420/profile 200"]);
    expect(select("pay*", events)).toEqual(["card declined for user u_42"]);
    expect(select("message:pay*", events)).toEqual([]);
  });
});

describe("fields", () => {
  const events = [
    ev({ message: "a", level: "ERROR", host: "web-3", attributes: { status: 500, route: "/api/v1/users" } }),
    ev({ message: "b", level: "WARNING", attributes: { status: "500", user_id: "U_42", ok: true } }),
    ev({ message: "c", host: "web-30", attributes: { status: "500.0", latency_ms: "250", big: 1e21 } }),
    ev({ message: "d", attributes: { latency_ms: 99.5, note: "1e3", pad: " 5", service: "shadow" } }),
  ];

  test("columns: exact and case-sensitive; level by name or alias", () => {
    expect(select("host:web-3", events)).toEqual(["a"]);
    expect(select("host:WEB-3", events)).toEqual([]);
    expect(select("level:err", events)).toEqual(["a"]);
    expect(select("level:warn OR level:4", events)).toEqual(["b"]);
  });

  test("NOT and - select events without the field too", () => {
    expect(select("-host:web-3", events)).toEqual(["b", "c", "d"]);
    expect(select("NOT host:*", events)).toEqual(["b", "d"]);
  });

  test("attributes compare as text; a number as JavaScript writes it", () => {
    expect(select("status:500", events)).toEqual(["a", "b"]);
    expect(select('status:"500.0"', events)).toEqual(["c"]);
    expect(select("big:1e+21", events)).toEqual(["c"]);
    expect(select("ok:true", events)).toEqual(["b"]);
    expect(select("user_id:u_42", events)).toEqual([]);
    expect(select("user_id:U_42", events)).toEqual(["b"]);
    expect(select("attributes.service:shadow", events)).toEqual(["d"]);
    expect(select("service:shadow", events)).toEqual([]);
  });

  test("prefixes and existence", () => {
    expect(select("route:/api/v1/*", events)).toEqual(["a"]);
    expect(select("host:web-3*", events)).toEqual(["a", "c"]);
    expect(select("status:50*", events)).toEqual(["a", "b", "c"]);
    expect(select("user_id:*", events)).toEqual(["b"]);
  });

  test("ranges read numbers and numeric strings, nothing else", () => {
    expect(select("latency_ms:>=99.5", events)).toEqual(["c", "d"]);
    expect(select("latency_ms:>99.5", events)).toEqual(["c"]);
    expect(select("latency_ms:[99.5 TO 250]", events)).toEqual(["c", "d"]);
    expect(select("status:[500 TO 500]", events)).toEqual(["a", "b", "c"]);
    // "1e3" and " 5" are not numeric strings; a boolean is not a number.
    expect(select("note:>0 OR pad:>0 OR ok:>0", events)).toEqual([]);
    expect(select("-latency_ms:<100", events)).toEqual(["a", "b", "c"]);
  });
});
