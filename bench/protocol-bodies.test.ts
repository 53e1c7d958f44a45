/**
 * bench:protocols compares the protocols on the same events: each protocol's body must decode to the
 * same stored fields (service, level, message, time, and attributes with the same number of keys, the
 * syslog facility among them), or a ratio measures a difference in data, not in protocol.
 */
import { expect, test } from "bun:test";
import type { LogEvent } from "../core/log-event.ts";
import {
  bulkBody,
  lokiJsonBody,
  makeSamples,
  nativeBody,
  otlpBodies,
  syslogBody,
} from "./protocol-bodies.ts";
import { decoders } from "./protocol-decoders.ts";

test("every protocol's bench body decodes to the same events, with the same number of attribute keys", async () => {
  const samples = makeSamples(10, Date.UTC(2026, 11, 4, 12));
  const now = Date.now();
  const decoded: Record<string, LogEvent[]> = {
    native: decoders.native(nativeBody(samples), now),
    bulk: decoders.bulk(bulkBody(samples), now),
    otlp: (await otlpBodies("protobuf", samples, 1_000)).flatMap((b) => decoders.otlp_protobuf(b, now)),
    loki: decoders.loki_json(lokiJsonBody(samples), now),
    syslog: decoders.syslog_tcp(syslogBody(samples), now),
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
