/**
 * bench:protocols compares the protocols on the same events: each protocol's body must decode to the
 * same stored fields (service, level, message, time, and attributes with the same number of keys, the
 * syslog facility among them), or a ratio measures a difference in data, not in protocol.
 */
import { expect, test } from "bun:test";
import { acceptItems, type DecodedItem } from "../core/ingest/decoded.ts";
import { decodeBulk } from "../core/ingest/es-bulk.ts";
import { decodeLokiJson } from "../core/ingest/loki.ts";
import { decodeOtlpProtobuf } from "../core/ingest/otlp-protobuf.ts";
import { syslogItem } from "../core/ingest/syslog.ts";
import { SyslogTcpFramer } from "../core/ingest/syslog-framing.ts";
import { DEFAULT_EVENT_LIMITS, type LogEvent, parseLogEvent } from "../core/log-event.ts";
import {
  bulkBody,
  lokiJsonBody,
  makeSamples,
  nativeBody,
  otlpBodies,
  syslogBody,
} from "./protocol-bodies.ts";

const OPTIONS = { limits: DEFAULT_EVENT_LIMITS, maxEvents: 10_000, maxBytes: 64 * 1024 * 1024 };
const text = (body: Uint8Array) => new TextDecoder().decode(body);
const accept = (items: DecodedItem[], now: number) => acceptItems(items, now, DEFAULT_EVENT_LIMITS).events;
function must<T extends { ok: boolean }>(r: T): Extract<T, { ok: true }> {
  if (!r.ok) throw new Error(JSON.stringify(r));
  return r as Extract<T, { ok: true }>;
}

test("every protocol's bench body decodes to the same events, with the same number of attribute keys", async () => {
  const samples = makeSamples(10, Date.UTC(2026, 11, 4, 12));
  const now = Date.now();
  const decoded: Record<string, LogEvent[]> = {
    native: text(nativeBody(samples))
      .split("\n")
      .map((line) => {
        const r = parseLogEvent(JSON.parse(line), now, DEFAULT_EVENT_LIMITS);
        if (!r.ok) throw new Error(JSON.stringify(r));
        return r.event;
      }),
    bulk: accept(
      must(decodeBulk(text(bulkBody(samples)), OPTIONS)).actions.map((a) => a.item),
      now,
    ),
    otlp: (await otlpBodies("protobuf", samples, 1_000)).flatMap((b) =>
      accept(must(decodeOtlpProtobuf(b, OPTIONS)).items, now),
    ),
    loki: accept(must(decodeLokiJson(text(lokiJsonBody(samples)), OPTIONS)).items, now),
    syslog: accept(
      new SyslogTcpFramer().push(syslogBody(samples)).messages.map((m) => syslogItem(m, now, OPTIONS)),
      now,
    ),
  };
  // Each protocol groups its events its own way (per service, per stream): compare them in time order.
  const fields = (events: LogEvent[]) =>
    events
      .map((e) => ({
        timestamp: e.timestamp,
        service: e.service,
        level: e.level,
        message: e.message,
        facility: e.attributes?.["syslog.facility"],
        // OTLP's rows also keep the SDK's scope, which no other protocol has.
        keys: Object.keys(e.attributes ?? {}).filter((k) => !k.startsWith("otel.scope.")).length,
      }))
      .sort((a, b) => a.timestamp.localeCompare(b.timestamp));
  const native = fields(decoded.native!);
  expect(native).toHaveLength(10);
  expect(native.every((e) => e.facility === "local0" && e.keys === 4)).toBe(true);
  for (const [name, events] of Object.entries(decoded)) {
    expect({ name, events: fields(events) }).toEqual({ name, events: native });
  }
});
