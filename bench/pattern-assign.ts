/**
 * `bun run bench:pattern-assign [--events N] [--repeat R] [--json FILE]`
 *
 * What giving every event its pattern id adds to ingest, per event, in this process's CPU time (so that
 * other work on a shared machine does not count): bench:ingest's generated traffic, parsed as ingest
 * parses it, through PatternAssigner.assign in batches of 1,000 (a fresh assigner per run; no database:
 * recording a new template is one insert per batch that has one, a few per service over a run). Beside
 * it, for scale, the CPU of turning the same events' JSON into stored events (parseLogEvent), which
 * every ingest path pays. Best of `--repeat` runs.
 */
import { type LogEvent, parseLogEvent } from "../core/log-event.ts";
import { PatternAssigner } from "../core/patterns/assigner.ts";
import { createTraffic } from "../stream-jobs/generator/traffic.ts";
import { flags, machine, table, writeJson } from "./lib.ts";

const args = flags({ events: 200_000, repeat: 3 });
const { events: N } = args;
const REPEAT = Math.max(1, args.repeat || 1);
const BATCH = 1_000;

const raw = createTraffic({ seed: 7, rate: Math.max(100, N / 600), start: Date.now() - 11 * 60_000 }).batch(
  N,
) as unknown[];
const texts = raw.map((e) => JSON.stringify(e));

function cpuUs(run: () => void | Promise<void>): Promise<number> {
  const start = process.cpuUsage();
  return Promise.resolve(run()).then(() => {
    const used = process.cpuUsage(start);
    return used.user + used.system;
  });
}

let parseBest = Number.POSITIVE_INFINITY;
let assignBest = Number.POSITIVE_INFINITY;
let templates = 0;
let services = 0;
for (let r = 0; r < REPEAT; r++) {
  let events: LogEvent[] = [];
  const now = Date.now();
  parseBest = Math.min(
    parseBest,
    await cpuUs(() => {
      events = texts.map((t) => {
        const parsed = parseLogEvent(JSON.parse(t), now);
        if (!parsed.ok) throw new Error(parsed.error);
        return parsed.event;
      });
    }),
  );
  const assigner = new PatternAssigner({ node: "bench" });
  assignBest = Math.min(
    assignBest,
    await cpuUs(async () => {
      for (let i = 0; i < events.length; i += BATCH) await assigner.assign(events.slice(i, i + BATCH));
    }),
  );
  templates = new Set(events.map((e) => e.pattern)).size;
  services = assigner.services;
}

const assignPerEvent = assignBest / N;
const parsePerEvent = parseBest / N;
console.log(
  `bench:pattern-assign on ${machine()}; ${N.toLocaleString()} events, ${services} services, ${templates} patterns`,
);
table([
  { step: "pattern assignment (PatternAssigner.assign)", "CPU µs/event": assignPerEvent.toFixed(2) },
  { step: "parse + validate (parseLogEvent), for scale", "CPU µs/event": parsePerEvent.toFixed(2) },
]);
writeJson(args.json, {
  events: N,
  services,
  patterns: templates,
  assign_cpu_us_per_event: Number(assignPerEvent.toFixed(3)),
  parse_cpu_us_per_event: Number(parsePerEvent.toFixed(3)),
});
