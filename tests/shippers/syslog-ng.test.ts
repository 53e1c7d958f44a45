import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppError } from "../../core/errors.ts";
import type { LogEvent } from "../../core/log-event.ts";
import { type SyslogListener, startSyslogListener } from "../../workers/bun/syslog-listener.ts";
import { freshService } from "../helpers/app.ts";
import {
  expectKnownLines,
  readmeConfig,
  servedSuite,
  storedOf,
  storedWhen,
  writeKnownLines,
} from "../helpers/shippers.ts";
import { syslogNg } from "../helpers/syslog-ng.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts(60_000);

// Debian's syslog-ng (unpacked beside rsyslog by .ci/run, see tests/helpers/syslog-ng.ts), started
// privately by each test in the foreground with its own configuration, persist, pid and control files,
// running the README's destinations word for word but for the address, port and key.
const engine = syslogNg();

const s = servedSuite();
let syslog: SyslogListener;
const dirs: string[] = [];

/**
 * syslog-ng reading the two known files as one message per line (`flags(no-parse)`), the program name
 * set to `service`, `app.log` at severity warning and `errors.log` at err, into the source `s_src` that
 * the README's blocks read (Debian's default configuration names its local source so); then `block`.
 * Stopped once every line is stored and `done` says so (or the wait is over); what the store holds
 * after it stopped.
 */
async function shipWithSyslogNg(
  service: string,
  block: string,
  done: () => boolean = () => true,
): Promise<LogEvent[]> {
  const dir = mkdtempSync(join(tmpdir(), "logflow-syslog-ng-"));
  dirs.push(dir);
  writeKnownLines(dir, service);
  const file = (name: string, severity: string) =>
    `  file("${join(dir, name)}" flags(no-parse) program-override("${service}")` +
    ` default-facility(local3) default-priority(${severity}) follow-freq(0.1));`;
  const conf = join(dir, "syslog-ng.conf");
  writeFileSync(
    conf,
    [
      engine!.header,
      // A destination that failed is tried again after 1 s instead of 60, to keep the test short.
      "options { time-reopen(1); };",
      "source s_src {",
      file("app.log", "warning"),
      file("errors.log", "err"),
      "};",
      block,
    ].join("\n"),
  );
  const stderr = join(dir, "stderr.log");
  const proc = Bun.spawn(
    [
      ...engine!.command,
      "--foreground",
      "--stderr",
      "--no-caps",
      `--cfgfile=${conf}`,
      `--persist-file=${join(dir, "syslog-ng.persist")}`,
      `--pidfile=${join(dir, "syslog-ng.pid")}`,
      `--control=${join(dir, "syslog-ng.ctl")}`,
    ],
    { env: engine!.env, stdout: "ignore", stderr: Bun.file(stderr) },
  );
  let stored: LogEvent[] = [];
  try {
    stored = await storedWhen(s.t, service, 1_000, 400);
    for (let i = 0; i < 300 && !done(); i++) await Bun.sleep(50);
  } finally {
    proc.kill();
    await proc.exited;
  }
  // Read again once it stopped: a line sent twice (a retried batch) would show here.
  stored = await storedOf(s.t, service);
  if (stored.length !== 1_000) console.error(`${stored.length} stored`, readFileSync(stderr, "utf8"));
  return stored;
}

describe.skipIf(!engine)("syslog-ng with the README's configurations", () => {
  // In the describe, so that the listener drains before the suite's app closes.
  beforeAll(async () => {
    syslog = await startSyslogListener(s.t.runtime.deps, { port: 0, hostname: "127.0.0.1" });
  });
  afterAll(async () => {
    await syslog?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test("syslog() over TCP, RFC 5424 octet-counted: 1,000 lines stored once each", async () => {
    const service = freshService("syslog-ng-tcp");
    const start = Date.now();
    const block = readmeConfig("syslog-ng-syslog")
      .replace('syslog("logflow.internal"', 'syslog("127.0.0.1"')
      .replace("port(5514)", `port(${syslog.tcpPort})`);
    const stored = await shipWithSyslogNg(service, block);
    expectKnownLines(stored, service, start);
    expect(stored[0]!.attributes["syslog.facility"]).toBe("local3");
  });

  test("elasticsearch-http() to /_bulk with Basic auth: 1,000 lines stored once each", async () => {
    const service = freshService("syslog-ng-es");
    const start = Date.now();
    const block = readmeConfig("syslog-ng-elasticsearch-http")
      .replace("http://logflow.internal:8000", s.url())
      .replace('password("lf_your_ingest_key")', `password("${s.key()}")`);
    const stored = await shipWithSyslogNg(service, block);
    expectKnownLines(stored, service, start);
    expect(stored[0]!.host).toBeTruthy();
  });

  test("elasticsearch-http(), BULK_FULL_QUEUE=request: batches refused while the queue is full are sent again, 1,000 lines stored once each", async () => {
    const service = freshService("syslog-ng-full");
    const start = Date.now();
    let refuse = 2;
    // An injected fault: the collector refuses the first two requests as a full queue does. With the
    // default (429 in each item of a 200) syslog-ng would count them delivered and lose them.
    const url = s.serveWith((deps) => ({
      settings: { ...deps.settings, BULK_FULL_QUEUE: "request" },
      collect: (items, d, at) =>
        refuse-- > 0
          ? Promise.reject(
              new AppError("UNAVAILABLE", "Ingest queue is full", { headers: { "Retry-After": "1" } }),
            )
          : deps.collect(items, d, at),
    }));
    const block = readmeConfig("syslog-ng-elasticsearch-http")
      .replace("http://logflow.internal:8000", url)
      .replace('password("lf_your_ingest_key")', `password("${s.key()}")`);
    expectKnownLines(await shipWithSyslogNg(service, block), service, start);
    expect(refuse).toBeLessThan(0);
  });

  test("elasticsearch-http(): a batch sent again after its answer was lost is stored once", async () => {
    const service = freshService("syslog-ng-replay");
    const start = Date.now();
    // Between syslog-ng and LogFlow: the first batch reaches LogFlow and is stored, but syslog-ng is
    // told 503, as when an answer is lost, so it sends that batch again.
    const bodies: string[] = [];
    const proxy = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      async fetch(req) {
        const url = new URL(req.url);
        const sent = await req.text();
        const first = bodies.push(sent) === 1; // decided now: the workers send batches concurrently
        const res = await fetch(`${s.url()}${url.pathname}${url.search}`, {
          method: req.method,
          headers: req.headers,
          body: sent,
        });
        const answer = await res.arrayBuffer();
        if (first) return new Response("answer lost", { status: 503 });
        return new Response(answer, { status: res.status, headers: res.headers });
      },
    });
    try {
      const block = readmeConfig("syslog-ng-elasticsearch-http")
        .replace("http://logflow.internal:8000", `http://127.0.0.1:${proxy.port}`)
        .replace('password("lf_your_ingest_key")', `password("${s.key()}")`);
      // Sent again: every line of that first batch is in a later one (batches regroup on a retry).
      const lines = (body: string) => [...body.matchAll(/"message":"(line \d+) of /g)].map((m) => m[1]!);
      const notResent = () => {
        const later = new Set(bodies.slice(1).flatMap(lines));
        return lines(bodies[0] ?? "").filter((line) => !later.has(line));
      };
      const stored = await shipWithSyslogNg(service, block, () => notResent().length === 0);
      expect(lines(bodies[0]!).length).toBeGreaterThan(0);
      expect(notResent()).toEqual([]);
      // Stored once all the same: without custom_id (no _id) those lines would be stored twice.
      expectKnownLines(stored, service, start);
    } finally {
      proxy.stop(true);
    }
  });
});
