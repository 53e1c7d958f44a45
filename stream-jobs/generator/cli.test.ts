import { afterEach, describe, expect, spyOn, test } from "bun:test";
import { join } from "node:path";
import { loghubDir } from "../../tests/helpers/loghub.ts";
import { integrationTimeouts } from "../../tests/helpers/timeouts.ts";
import { main, parseCli, parseDuration, type RunClock } from "./cli.ts";
import { type IngestStub, startIngestStub } from "./ingest-stub.ts";

integrationTimeouts();

const CLI = join(import.meta.dir, "cli.ts");
const SAMPLE = join(import.meta.dir, "sample.log");
const LOGHUB = loghubDir();

let stub: IngestStub | null = null;
afterEach(async () => {
  await stub?.stop();
  stub = null;
});

/**
 * Virtual time for pacing: a sleep moves the clock forward at once, so a test judges the schedule the
 * CLI keeps rather than how busy the machine is. Every wait asked for is recorded.
 */
function virtualClock(start: number): RunClock & { waits: number[] } {
  let now = start;
  const waits: number[] = [];
  return {
    waits,
    now: () => now,
    async sleep(ms) {
      waits.push(ms);
      now += ms;
    },
  };
}

/** The CLI in this process on a virtual clock; what it prints is captured rather than shown. */
async function runVirtual(args: string[], clock: RunClock) {
  const printed: string[] = [];
  const log = spyOn(console, "log").mockImplementation((...a) => void printed.push(a.join(" ")));
  const error = spyOn(console, "error").mockImplementation((...a) => void printed.push(a.join(" ")));
  try {
    return { code: await main(args, clock), printed: printed.join("\n") };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

async function runCli(args: string[], env: Record<string, string> = {}) {
  const proc = Bun.spawn([process.execPath, CLI, ...args], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ADMIN_USERNAME: "", ADMIN_PASSWORD: "", LOGFLOW_URL: "", ...env },
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}

describe("arguments", () => {
  test("defaults come from the environment, then the documented values", () => {
    const config = parseCli([], { ADMIN_USERNAME: "root", ADMIN_PASSWORD: "s3cret" });
    expect(config).toMatchObject({
      url: "http://localhost:8000",
      user: "root",
      password: "s3cret",
      batch: 500,
      count: null,
      rate: null,
    });
    expect(parseCli([], {})).toMatchObject({ user: "admin", password: "admin123" });
  });

  test("every flag is read", () => {
    const config = parseCli(
      "--url http://h:1 --user u --password p --count 10 --rate 2.5 --batch 7 --burst auth-service --spike 3 --after 5s --duration 2m --seed 42".split(
        " ",
      ),
      {},
    );
    expect(config).toEqual({
      url: "http://h:1",
      user: "u",
      password: "p",
      count: 10,
      rate: 2.5,
      batch: 7,
      burst: "auth-service",
      spike: 3,
      afterMs: 5_000,
      durationMs: 120_000,
      seed: "42",
      replay: null,
      service: null,
      dryRun: false,
    });
    expect(parseCli(["--replay", "a.log", "--service", "web"], {})).toMatchObject({
      replay: "a.log",
      service: "web",
    });
    expect(parseCli(["-h"], {})).toBe("help");
  });

  test("bad input is a usage error naming the flag", () => {
    expect(() => parseCli(["--count", "ten"], {})).toThrow("--count must be a positive whole number");
    expect(() => parseCli(["--burst", "billing"], {})).toThrow("--burst: unknown service");
    expect(() => parseCli(["--replay", "a.log", "--spike", "2"], {})).toThrow("not to --replay");
    expect(() => parseCli(["--service", "x"], {})).toThrow("--service needs --replay");
    expect(() => parseCli(["--frobnicate"], {})).toThrow();
    expect(() => parseCli(["--duration", "soon"], {})).toThrow("not a duration");
  });

  test("durations", () => {
    expect(parseDuration("60s")).toBe(60_000);
    expect(parseDuration("1.5m")).toBe(90_000);
    expect(parseDuration("1h")).toBe(3_600_000);
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("30")).toBe(30_000);
  });
});

describe("runs", () => {
  test("--count sends exactly N events in batches and prints a summary", async () => {
    stub = startIngestStub();
    const { stdout, code, stderr } = await runCli([
      "--url",
      stub.url,
      "--count",
      "1234",
      "--batch",
      "500",
      "--seed",
      "42",
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stub.batches.map((b) => b.length)).toEqual([500, 500, 234]);
    expect(stdout).toMatch(
      /^sent 1234 events in [\d.]+s \([\d.]+ events\/s\) to http:\/\/127\.0\.0\.1:\d+: accepted 1234, rejected 0, retries 0; seed 42\n$/,
    );
    // Backfilled: the newest events are about now, none far in the future.
    const last = stub.batches.at(-1)?.at(-1) as { timestamp: string };
    expect(Math.abs(Date.parse(last.timestamp) - Date.now())).toBeLessThan(60_000);
  });

  test("--rate sends each second's events when that second is over, and --duration stops the run", async () => {
    stub = startIngestStub();
    const start = Date.now();
    const clock = virtualClock(start);
    const args = ["--url", stub.url, "--rate", "200", "--duration", "10s", "--seed", "7"];
    const { code, printed } = await runVirtual(args, clock);
    expect(code).toBe(0);
    // 500-event requests at 200 events/s: one tick a second, and the run ends at 10 s.
    expect(clock.waits).toEqual(Array(10).fill(1_000));
    const batches = stub.batches as { timestamp: string }[][];
    // Second k's tick sends the events written during second k and none written later, in one request.
    const second = (e: { timestamp: string }) => Math.ceil((Date.parse(e.timestamp) - start) / 1_000);
    const seconds = batches.map((b) => [...new Set(b.map(second))]);
    expect(seconds.flat().filter((k) => k > 0)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(seconds.every((ks) => ks.length === 1)).toBe(true);
    for (const batch of batches.filter((b) => second(b[0]!) > 0)) expect(batch.length).toBeWithin(100, 320);
    const sent = batches.flat().length;
    expect(sent).toBeWithin(0.8 * 200 * 9, 1.2 * 200 * 10);
    expect(printed).toContain(`sent ${sent} events in 10.0s`);
  });

  test("--replay with --rate sends the file at that rate", async () => {
    stub = startIngestStub();
    const clock = virtualClock(Date.now());
    const lines = (await Bun.file(SAMPLE).text()).split("\n").filter((l) => l.trim()).length;
    const { code, printed } = await runVirtual(
      ["--url", stub.url, "--replay", SAMPLE, "--rate", "10"],
      clock,
    );
    expect(code).toBe(0);
    expect(printed).toContain(`accepted ${lines}, rejected 0`);
    // Batches of ceil(10 / 4) = 3 lines, each sent when the lines before it have had their 100 ms.
    expect(stub.batches.map((b) => b.length)).toEqual([
      ...Array(Math.floor(lines / 3)).fill(3),
      ...(lines % 3 ? [lines % 3] : []),
    ]);
    expect(clock.waits).toEqual(Array(Math.ceil(lines / 3) - 1).fill(300));
  });

  test.skipIf(LOGHUB === null)(
    "--replay sends every line of a LogHub file with the raw line as message",
    async () => {
      const APACHE = join(LOGHUB as string, "Apache", "Apache_2k.log");
      stub = startIngestStub();
      const { stdout, code } = await runCli(["--url", stub.url, "--replay", APACHE, "--batch", "700"]);
      expect(code).toBe(0);
      const sent = stub.batches.flat() as { message: string; service: string; level: string }[];
      const lines = (await Bun.file(APACHE).text())
        .split("\n")
        .map((l) => l.replace(/\r$/, ""))
        .filter((l) => l.trim());
      expect(sent.map((e) => e.message)).toEqual(lines);
      expect(new Set(sent.map((e) => e.service))).toEqual(new Set(["apache"]));
      expect(sent.filter((e) => e.level === "ERROR")).toHaveLength(595);
      expect(stdout).toContain("accepted 2000, rejected 0");
    },
  );

  test("--replay with --count, --service and --dry-run prints NDJSON", async () => {
    const { stdout, stderr, code } = await runCli([
      "--replay",
      SAMPLE,
      "--service",
      "web",
      "--count",
      "3",
      "--dry-run",
    ]);
    expect(code).toBe(0);
    const events = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(events).toHaveLength(3);
    expect(events[0]).toMatchObject({ service: "web", level: "INFO" });
    expect(stderr).toContain("printed 3 events");
  });

  test("a server that cannot be reached is a clear error and exit code 1", async () => {
    stub = startIngestStub();
    const url = stub.url;
    await stub.stop();
    stub = null;
    const { stderr, code } = await runCli(["--url", url, "--count", "5"]);
    expect(code).toBe(1);
    expect(stderr).toContain(`cannot reach ${url}/api/v1/auth/login`);
  });

  test("wrong credentials are reported with the server's reason", async () => {
    stub = startIngestStub();
    const { stderr, code } = await runCli(["--url", stub.url, "--count", "5", "--password", "nope"]);
    expect(code).toBe(1);
    expect(stderr).toContain("login as admin failed (401): Invalid credentials");
  });

  test("usage errors exit with 2 and print the help", async () => {
    const { stderr, code } = await runCli(["--spike", "-3"]);
    expect(code).toBe(2);
    expect(stderr).toContain("Usage: bun run generate");
  });
});
