/**
 * `bun run generate`: send synthetic multi-service traffic, or replay a log file, to a LogFlow server.
 *
 *   bun run generate --count 10000                        # 10k events as fast as the server takes them
 *   bun run generate --rate 50                            # 50 events/s until Ctrl-C
 *   bun run generate --rate 50 --burst payment-service --after 30s --duration 2m
 *   bun run generate --rate 20 --spike 10 --duration 60s  # anomaly demo
 *   bun run generate --replay stream-jobs/generator/sample.log
 */
import { parseArgs } from "node:util";
import { replayFile } from "./replay.ts";
import { createSender, SendError, type Sender, sleep } from "./sender.ts";
import { createTraffic, SERVICES, type ServiceName, type Traffic, type TrafficEvent } from "./traffic.ts";

const USAGE = `Usage: bun run generate [options]

Synthetic traffic (default) or --replay of a log file, sent to POST /api/v1/ingest.

  --url URL           LogFlow base URL (default $LOGFLOW_URL or http://localhost:8000)
  --user NAME         login user (default $ADMIN_USERNAME or admin)
  --password PW       login password (default $ADMIN_PASSWORD or admin123)
  --count N           send N events, then exit
  --rate R            events per second; without --count, runs until Ctrl-C or --duration.
                      Without --rate, --count sends as fast as the server accepts, timestamped
                      as if the traffic had run at 100 events/s up to now
  --batch N           events per request (default 500)
  --burst SERVICE     error burst: SERVICE fails most requests (${SERVICES.join(", ")})
  --spike N           multiply the event rate by N (N < 1 makes a drop)
  --after D           start the burst/spike after D (default 0s)
  --duration D        stop after D (e.g. 90s, 5m, 1h); burst/spike last until the end
  --seed S            PRNG seed, to repeat a run exactly (default random, printed)
  --replay FILE       send each non-empty line of FILE as one event (level read from the line)
  --service NAME      service name for --replay (default from the file name)
  --dry-run           print events as NDJSON on stdout instead of sending
  -h, --help          this text
`;

/** The time a run is paced and stopped by. */
export interface RunClock {
  now(): number;
  /** Resolves after `ms`, or rejects as soon as `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

const WALL_CLOCK: RunClock = { now: () => Date.now(), sleep };

/** Timestamps of an unpaced --count run are spread as if the traffic had run at this rate. */
const BACKFILL_RATE = 100;

/** Parsed command line. */
export interface CliConfig {
  url: string;
  user: string;
  password: string;
  count: number | null;
  rate: number | null;
  batch: number;
  burst: ServiceName | null;
  spike: number | null;
  afterMs: number;
  durationMs: number | null;
  seed: string;
  replay: string | null;
  service: string | null;
  dryRun: boolean;
}

/** "90s", "5m", "1h", "250ms" or a bare number of seconds, in milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`not a duration: ${JSON.stringify(text)} (use 90s, 5m, 1h or 250ms)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
  return Math.round(Number(m[1]) * unit);
}

class UsageError extends Error {}

function positiveNumber(flag: string, text: string | undefined, integer: boolean): number | null {
  if (text === undefined) return null;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(
      `--${flag} must be a positive ${integer ? "whole number" : "number"}, got ${JSON.stringify(text)}`,
    );
  }
  return n;
}

/** Parse argv (without the runtime and script) into a config; throws a usage error on bad input. */
export function parseCli(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): CliConfig | "help" {
  let values: ReturnType<typeof parse>["values"];
  try {
    values = parse(argv).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) return "help";
  const burst = values.burst ?? null;
  if (burst !== null && !SERVICES.includes(burst as ServiceName)) {
    throw new UsageError(`--burst: unknown service ${JSON.stringify(burst)} (one of ${SERVICES.join(", ")})`);
  }
  const replay = values.replay ?? null;
  if (replay !== null && (burst !== null || values.spike !== undefined)) {
    throw new UsageError("--burst and --spike apply to generated traffic, not to --replay");
  }
  if (values.service !== undefined && replay === null) throw new UsageError("--service needs --replay");
  return {
    // An empty variable counts as unset, as in most shells' `${VAR:-default}`.
    url: values.url ?? (env.LOGFLOW_URL || "http://localhost:8000"),
    user: values.user ?? (env.ADMIN_USERNAME || "admin"),
    password: values.password ?? (env.ADMIN_PASSWORD || "admin123"),
    count: positiveNumber("count", values.count, true),
    rate: positiveNumber("rate", values.rate, false),
    batch: positiveNumber("batch", values.batch, true) ?? 500,
    burst: burst as ServiceName | null,
    spike: positiveNumber("spike", values.spike, false),
    afterMs: values.after === undefined ? 0 : parseDuration(values.after),
    durationMs: values.duration === undefined ? null : parseDuration(values.duration),
    seed: values.seed ?? String(Date.now() % 1_000_000),
    replay,
    service: values.service ?? null,
    dryRun: values["dry-run"] ?? false,
  };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      url: { type: "string" },
      user: { type: "string" },
      password: { type: "string" },
      count: { type: "string" },
      rate: { type: "string" },
      batch: { type: "string" },
      burst: { type: "string" },
      spike: { type: "string" },
      after: { type: "string" },
      duration: { type: "string" },
      seed: { type: "string" },
      replay: { type: "string" },
      service: { type: "string" },
      "dry-run": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

/** Where events go: the server, or stdout for --dry-run. */
interface Sink {
  send(events: readonly unknown[]): Promise<void>;
  totals(): { sent: number; accepted: number; rejected: number; retries: number; sampleErrors: string[] };
}

function stdoutSink(): Sink {
  let sent = 0;
  return {
    async send(events) {
      if (events.length === 0) return;
      process.stdout.write(`${events.map((e) => JSON.stringify(e)).join("\n")}\n`);
      sent += events.length;
    },
    totals: () => ({ sent, accepted: 0, rejected: 0, retries: 0, sampleErrors: [] }),
  };
}

function serverSink(config: CliConfig): Sink {
  const sender: Sender = createSender({
    baseUrl: config.url,
    username: config.user,
    password: config.password,
    onRetry: ({ status, delayMs, reason }) =>
      console.error(
        `retrying in ${(delayMs / 1000).toFixed(1)}s after ${status ?? "network error"}: ${reason}`,
      ),
  });
  return {
    async send(events) {
      for (let i = 0; i < events.length; i += config.batch)
        await sender.send(events.slice(i, i + config.batch));
    },
    totals: () => sender.totals,
  };
}

/** Stop conditions shared by every mode: Ctrl-C, --duration, --count. */
interface Budget {
  /** Aborted on Ctrl-C: cuts waits short. */
  signal: AbortSignal;
  stopped(): boolean;
  /** How many more events may be sent. */
  remaining(): number;
  spend(n: number): void;
}

function makeBudget(config: CliConfig, clock: RunClock, signal: AbortSignal): Budget {
  const startedAt = clock.now();
  let spent = 0;
  return {
    signal,
    stopped: () =>
      signal.aborted ||
      (config.count !== null && spent >= config.count) ||
      (config.durationMs !== null && clock.now() - startedAt >= config.durationMs),
    remaining: () => (config.count === null ? Number.POSITIVE_INFINITY : config.count - spent),
    spend: (n) => {
      spent += n;
    },
  };
}

function buildTraffic(config: CliConfig, start: number, rate: number): Traffic {
  const traffic = createTraffic({ seed: config.seed, rate, start });
  const from = start + config.afterMs;
  // "Until the end of the run": a window longer than any run, since the run's end is not known up front.
  const forever = 10 * 365 * 86_400_000;
  if (config.burst) traffic.errorBurst({ service: config.burst, startMs: from, durationMs: forever });
  if (config.spike) traffic.spike({ multiplier: config.spike, startMs: from, durationMs: forever });
  return traffic;
}

/** Real-time traffic at --rate: every tick, send what the simulation wrote since the last one. */
async function runPaced(
  config: CliConfig,
  sink: Sink,
  budget: Budget,
  clock: RunClock,
  rate: number,
): Promise<void> {
  const traffic = buildTraffic(config, clock.now(), rate);
  // Ticks short enough for a live dashboard, long enough that low rates still send a few events per request.
  const tickMs = Math.min(1000, Math.max(250, (config.batch / rate) * 1000));
  while (!budget.stopped()) {
    const tickStart = clock.now();
    const due = traffic.next(tickStart).slice(0, budget.remaining());
    await sink.send(due);
    budget.spend(due.length);
    const rest = tickMs - (clock.now() - tickStart);
    if (rest > 0 && !budget.stopped()) await clock.sleep(rest, budget.signal).catch(() => {});
  }
}

/** --count without --rate: as fast as the server accepts, timestamps backfilled to end about now. */
async function runBackfill(
  config: CliConfig,
  sink: Sink,
  budget: Budget,
  clock: RunClock,
  count: number,
): Promise<void> {
  const traffic = buildTraffic(config, clock.now() - (count / BACKFILL_RATE) * 1000, BACKFILL_RATE);
  while (!budget.stopped()) {
    const events: TrafficEvent[] = traffic.batch(Math.min(config.batch, budget.remaining()));
    await sink.send(events);
    budget.spend(events.length);
  }
}

async function runReplay(
  config: CliConfig,
  sink: Sink,
  budget: Budget,
  clock: RunClock,
  file: string,
): Promise<void> {
  const rate = config.rate;
  // Paced replay sends small batches often rather than a large one every few seconds.
  const batchSize = rate === null ? config.batch : Math.max(1, Math.min(config.batch, Math.ceil(rate / 4)));
  const options = config.service === null ? { batchSize } : { batchSize, service: config.service };
  const startedAt = clock.now();
  let sent = 0;
  for await (const batch of replayFile(file, options)) {
    if (budget.stopped()) break;
    if (rate !== null) {
      const wait = startedAt + (sent / rate) * 1000 - clock.now();
      if (wait > 0) await clock.sleep(wait, budget.signal).catch(() => {});
      if (budget.stopped()) break;
    }
    const events = batch.slice(0, budget.remaining());
    await sink.send(events);
    budget.spend(events.length);
    sent += events.length;
  }
}

function summary(config: CliConfig, sink: Sink, elapsedMs: number): string {
  const t = sink.totals();
  const secs = Math.max(elapsedMs, 1) / 1000;
  const what = config.replay ? `replayed ${config.replay}` : `seed ${config.seed}`;
  const lines = [
    config.dryRun
      ? `printed ${t.sent} events in ${secs.toFixed(1)}s (${(t.sent / secs).toFixed(1)} events/s), ${what}`
      : `sent ${t.sent} events in ${secs.toFixed(1)}s (${(t.sent / secs).toFixed(1)} events/s) to ${config.url}: ` +
        `accepted ${t.accepted}, rejected ${t.rejected}, retries ${t.retries}; ${what}`,
  ];
  for (const e of [...new Set(t.sampleErrors)].slice(0, 5)) lines.push(`  rejected: ${e}`);
  return lines.join("\n");
}

/** Run the CLI; resolves to the process exit code. `clock` paces and stops the run (tests pass a virtual one). */
export async function main(argv: string[], clock: RunClock = WALL_CLOCK): Promise<number> {
  let config: CliConfig;
  try {
    const parsed = parseCli(argv);
    if (parsed === "help") {
      process.stdout.write(USAGE);
      return 0;
    }
    config = parsed;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`${err.message}\n\n${USAGE}`);
    return 2;
  }

  const stop = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    // First Ctrl-C: finish the batch in flight and print the summary. Second: leave now.
    if (++interrupts > 1) process.exit(130);
    console.error("stopping after the current batch (Ctrl-C again to quit now)");
    stop.abort();
  };
  process.on("SIGINT", onSigint);

  const sink = config.dryRun ? stdoutSink() : serverSink(config);
  const startedAt = clock.now();
  const budget = makeBudget(config, clock, stop.signal);
  const progress = config.dryRun
    ? null
    : setInterval(() => {
        const t = sink.totals();
        console.error(`… sent ${t.sent}, accepted ${t.accepted}, rejected ${t.rejected}`);
      }, 10_000);
  try {
    if (config.replay) await runReplay(config, sink, budget, clock, config.replay);
    else if (config.rate === null && config.count !== null)
      await runBackfill(config, sink, budget, clock, config.count);
    else await runPaced(config, sink, budget, clock, config.rate ?? 20);
  } catch (err) {
    if (!(err instanceof SendError) && !(err instanceof Error && "code" in err && err.code === "ENOENT"))
      throw err;
    console.error(`error: ${err.message}`);
    console.error(summary(config, sink, clock.now() - startedAt));
    return 1;
  } finally {
    if (progress) clearInterval(progress);
    process.off("SIGINT", onSigint);
  }
  (config.dryRun ? console.error : console.log)(summary(config, sink, clock.now() - startedAt));
  return 0;
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)));
