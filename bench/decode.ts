/**
 * `bun run bench:decode [--events N] [--rounds R] [--json FILE]`
 *
 * The indexer's per-message work before the store write, alone (no Kafka, no store): a message's bytes
 * to a checked LogEvent. Every message the indexer reads goes through it, so it bounds the indexer's
 * throughput per core. Measured for the events the generator makes (the collector's output), as
 *   - the floor: UTF-8 decode + JSON.parse only;
 *   - decodeMessage + validateEvent (the indexer's decode and validate steps: the fast check, with the
 *     schema consulted only for the odd event);
 *   - the same validated by LogEventSchema.safeParse alone (what the fast check saves).
 * Each figure is the median of R rounds over the same N messages.
 */
import { LogEventSchema, parseLogEvent } from "../core/log-event.ts";
import { createTraffic } from "../stream-jobs/generator/traffic.ts";
import { decodeMessage } from "../stream-jobs/indexer/steps/decode.ts";
import { validateEvent } from "../stream-jobs/indexer/steps/validate.ts";
import { flags, machine, percentile, table, writeJson } from "./lib.ts";

const args = flags({ events: 50_000, rounds: 15 });
const { events: EVENTS, rounds: ROUNDS } = args;
const MAX_BYTES = 1024 * 1024;

const now = Date.now();
const traffic = createTraffic({ seed: 7, rate: Math.max(100, EVENTS / 600), start: now - 600_000 });
const messages = (traffic.batch(EVENTS) as unknown as Record<string, unknown>[]).map((raw) => {
  const p = parseLogEvent(raw, now);
  if (!p.ok) throw new Error(p.error);
  return Buffer.from(JSON.stringify(p.event));
});
const avgBytes = Math.round(messages.reduce((n, m) => n + m.byteLength, 0) / messages.length);
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Nanoseconds per message of `fn` over every message: the median of ROUNDS rounds (after one warm-up). */
function measure(fn: (m: Uint8Array) => unknown): number {
  const times: number[] = [];
  let sink = 0;
  for (let r = 0; r <= ROUNDS; r++) {
    const t0 = Bun.nanoseconds();
    for (const m of messages) if (fn(m)) sink++;
    if (r > 0) times.push((Bun.nanoseconds() - t0) / messages.length);
  }
  if (sink === 0) throw new Error("nothing decoded");
  return percentile(
    times.sort((a, b) => a - b),
    50,
  );
}

const parseOnly = measure((m) => JSON.parse(utf8.decode(m)));
const steps = measure((m) => {
  const d = decodeMessage(m, MAX_BYTES);
  return d.kind === "ok" && validateEvent(d.value).kind === "ok";
});
const schemaOnly = measure((m) => LogEventSchema.safeParse(JSON.parse(utf8.decode(m))).success);

console.log(
  `\nindexer decode + validate: ${EVENTS.toLocaleString("en-US")} generator events (${avgBytes} bytes each), median of ${ROUNDS} rounds — ${machine()}\n`,
);
const rate = (ns: number) => 1e9 / ns;
table([
  { measure: "floor: UTF-8 + JSON.parse", ns_per_event: parseOnly, events_per_s: rate(parseOnly) },
  { measure: "decode + validate (fast check)", ns_per_event: steps, events_per_s: rate(steps) },
  { measure: "decode + LogEventSchema.safeParse", ns_per_event: schemaOnly, events_per_s: rate(schemaOnly) },
]);
writeJson(args.json, {
  events: EVENTS,
  rounds: ROUNDS,
  avg_event_bytes: avgBytes,
  json_parse_ns_per_event: Math.round(parseOnly),
  decode_validate_ns_per_event: Math.round(steps),
  schema_ns_per_event: Math.round(schemaOnly),
});
