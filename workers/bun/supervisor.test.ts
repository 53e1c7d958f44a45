import { describe, expect, test } from "bun:test";
import { isAlive } from "../../core/process-alive.ts";
import { integrationTimeouts } from "../../tests/helpers/timeouts.ts";
import { restartDelay, supervise } from "./supervisor.ts";

// CPU-heavy (many random cases): a loaded CI machine runs it several times slower.
integrationTimeouts();

/** A role running `code` in a real Bun child process. */
const role = (name: string, code: string) => ({
  name,
  cmd: [process.execPath, "-e", code],
  env: process.env,
});

function collect() {
  const lines: { at: number; text: string }[] = [];
  const output: { role: string; line: string; stream: string }[] = [];
  return {
    lines,
    output,
    log: (text: string) => lines.push({ at: Date.now(), text }),
    out: (role: string, line: string, stream: string) => output.push({ role, line, stream }),
  };
}

describe("restartDelay", () => {
  test("doubles with each failure in a row, up to the maximum", () => {
    const opts = { initialDelayMs: 1_000, maxDelayMs: 30_000 };
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => restartDelay(n, opts))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
    ]);
  });
});

describe("supervise", () => {
  test("a role that keeps crashing is restarted, each time after a longer wait", async () => {
    const c = collect();
    const s = supervise([role("crasher", "process.exit(3)")], {
      graceMs: 1_000,
      initialDelayMs: 100,
      maxDelayMs: 400,
      stableMs: 60_000,
      log: c.log,
      output: c.out,
    });
    const deadline = Date.now() + 20_000;
    while (s.restarts().crasher! < 4 && Date.now() < deadline) await Bun.sleep(20);
    await s.stop("test over");
    expect(await s.done).toBe(0);
    const waits = c.lines
      .map((l) => l.text.match(/exited with code 3 .* restarting in ([\d.]+) s/)?.[1])
      .filter(Boolean)
      .slice(0, 4)
      .map(Number);
    expect(waits).toEqual([0.1, 0.2, 0.4, 0.4]);
    // Each restart really waited: from one "exited" to the next "started" at least the announced delay.
    const starts = c.lines.filter((l) => l.text.startsWith("crasher started")).map((l) => l.at);
    const exits = c.lines.filter((l) => l.text.includes("restarting in")).map((l) => l.at);
    for (let i = 0; i < 3; i++)
      expect(starts[i + 1]! - exits[i]!).toBeGreaterThanOrEqual(waits[i]! * 1000 - 5);
  }, 30_000);

  test("output lines reach the caller one by one, named by role and stream", async () => {
    const c = collect();
    const s = supervise(
      [role("talker", "console.log('one\\ntwo'); console.error('three'); setInterval(() => {}, 1000)")],
      {
        graceMs: 1_000,
        initialDelayMs: 100,
        maxDelayMs: 100,
        stableMs: 60_000,
        log: c.log,
        output: c.out,
      },
    );
    const deadline = Date.now() + 10_000;
    while (c.output.length < 3 && Date.now() < deadline) await Bun.sleep(20);
    await s.stop("test over");
    expect(c.output).toEqual([
      { role: "talker", line: "one", stream: "stdout" },
      { role: "talker", line: "two", stream: "stdout" },
      { role: "talker", line: "three", stream: "stderr" },
    ]);
  }, 30_000);

  test("stop sends SIGTERM, then SIGKILL to a child that ignores it, and leaves no child behind", async () => {
    const c = collect();
    const s = supervise(
      [
        role(
          "polite",
          "process.on('SIGTERM', () => process.exit(0)); console.log('ready'); setInterval(() => {}, 1000)",
        ),
        role(
          "stubborn",
          "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)",
        ),
      ],
      { graceMs: 500, initialDelayMs: 100, maxDelayMs: 100, stableMs: 60_000, log: c.log, output: c.out },
    );
    const deadline = Date.now() + 10_000;
    // Both handlers installed (a loaded machine can take longer to start one child than the other).
    while (c.output.filter((o) => o.line === "ready").length < 2 && Date.now() < deadline)
      await Bun.sleep(20);
    const pids = Object.values(s.pids()) as number[];
    const started = Date.now();
    await s.stop("SIGTERM");
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(await s.done).toBe(0);
    expect(pids.map(isAlive)).toEqual([false, false]);
    expect(c.lines.map((l) => l.text)).toContain("polite stopped (exited with code 0)");
    expect(c.lines.map((l) => l.text)).toContain("stubborn stopped (killed by SIGKILL)");
  }, 30_000);

  test("exit code 78 (a configuration error) stops every role instead of restarting", async () => {
    const c = collect();
    const s = supervise(
      [
        role("misconfigured", "setTimeout(() => process.exit(78), 100)"),
        role("fine", "setInterval(() => {}, 1000)"),
      ],
      { graceMs: 1_000, initialDelayMs: 100, maxDelayMs: 100, stableMs: 60_000, log: c.log, output: c.out },
    );
    const fine = s.pids().fine!;
    expect(await s.done).toBe(78);
    expect(isAlive(fine)).toBe(false);
    expect(s.restarts()).toEqual({ misconfigured: 0, fine: 0 });
  }, 30_000);
});
