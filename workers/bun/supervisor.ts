/**
 * A small process supervisor (what `bun run cluster` runs the roles with): each role is a child process
 * whose output lines are prefixed with its name; a role that exits on its own is started again after a
 * delay that doubles with each quick failure; stopping sends every child SIGTERM, then SIGKILL to any
 * still running after the grace period, and resolves once every child is gone.
 */
import type { Subprocess } from "bun";

export interface RoleSpec {
  name: string;
  /** The command, its executable first. */
  cmd: string[];
  env: Record<string, string | undefined>;
}

export interface SupervisorOptions {
  /** How long children have to exit after SIGTERM before they get SIGKILL. */
  graceMs: number;
  /** Restart delay after the first quick failure; doubled for each further one, up to maxDelayMs. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** A child that ran this long before exiting counts as healthy: its next restart waits initialDelayMs. */
  stableMs: number;
  /**
   * Exit codes that restarting cannot cure (default 78, EX_CONFIG: the configuration is wrong): the
   * whole group stops, and `done` resolves with that code.
   */
  fatalCodes?: number[];
  /** The supervisor's own lines. */
  log(line: string): void;
  /** One line a child printed (without its newline). */
  output(role: string, line: string, stream: "stdout" | "stderr"): void;
}

/**
 * The command of a package.json script of the simple form `[NAME=value …] bun path`, as an argv and the
 * variables it sets; `bun` is this Bun, wherever PATH would find another.
 */
export function scriptCommand(script: string): { cmd: string[]; env: Record<string, string> } {
  if (/[;&|<>$`()]/.test(script)) throw new Error(`not a plain command: ${script}`);
  const words = script.trim().split(/\s+/);
  const env: Record<string, string> = {};
  while (words[0] && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0])) {
    const word = words.shift()!;
    const eq = word.indexOf("=");
    env[word.slice(0, eq)] = word.slice(eq + 1);
  }
  if (words[0] === "bun") words[0] = process.execPath;
  return { cmd: words, env };
}

/** The delay before restart number `failures` (1 = after the first quick failure). */
export function restartDelay(
  failures: number,
  opts: Pick<SupervisorOptions, "initialDelayMs" | "maxDelayMs">,
): number {
  return Math.min(opts.maxDelayMs, opts.initialDelayMs * 2 ** Math.max(0, failures - 1));
}

/** Split a byte stream into lines, calling `line` for each complete one and the rest at the end. */
async function forEachLine(stream: ReadableStream<Uint8Array>, line: (text: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of stream) {
    buffer += decoder.decode(chunk, { stream: true });
    let end = buffer.indexOf("\n");
    while (end >= 0) {
      line(buffer.slice(0, end).replace(/\r$/, ""));
      buffer = buffer.slice(end + 1);
      end = buffer.indexOf("\n");
    }
  }
  buffer += decoder.decode();
  if (buffer) line(buffer);
}

export interface Supervisor {
  /** The pid of each role's current process (undefined while it waits to be restarted). */
  pids(): Record<string, number | undefined>;
  /** How many times each role has been restarted. */
  restarts(): Record<string, number>;
  /** Stop every child (SIGTERM, then SIGKILL after the grace period); resolves when all are gone. */
  stop(reason: string): Promise<void>;
  /** Kill every child now (SIGKILL). */
  kill(): void;
  /** Resolves with the exit code the supervisor's process should end with: 0 after stop(). */
  done: Promise<number>;
}

export function supervise(roles: RoleSpec[], opts: SupervisorOptions): Supervisor {
  const fatal = new Set(opts.fatalCodes ?? [78]);
  const running = new Map<string, Subprocess>();
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  const failures = new Map<string, number>();
  const restartCount = new Map<string, number>();
  let stopping: Promise<void> | undefined;
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => {
    finish = resolve;
  });
  let exitCode = 0;

  const start = (role: RoleSpec) => {
    const started = Date.now();
    const child = Bun.spawn(role.cmd, {
      env: role.env,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    running.set(role.name, child);
    opts.log(`${role.name} started (pid ${child.pid})`);
    const streams = Promise.all([
      forEachLine(child.stdout, (l) => opts.output(role.name, l, "stdout")),
      forEachLine(child.stderr, (l) => opts.output(role.name, l, "stderr")),
    ]);
    void child.exited.then(async (code) => {
      await streams.catch(() => {});
      running.delete(role.name);
      const how = child.signalCode ? `was killed by ${child.signalCode}` : `exited with code ${code}`;
      if (stopping) {
        opts.log(`${role.name} stopped (${how.replace(/^was /, "")})`);
        return;
      }
      if (!child.signalCode && fatal.has(code)) {
        opts.log(
          `${role.name} ${how}: its configuration is wrong, restarting cannot help; stopping every role`,
        );
        exitCode = code;
        void stop(`${role.name} cannot start`);
        return;
      }
      const ran = Date.now() - started;
      const n = ran >= opts.stableMs ? 1 : (failures.get(role.name) ?? 0) + 1;
      failures.set(role.name, n);
      const delay = restartDelay(n, opts);
      opts.log(
        `${role.name} ${how} after ${(ran / 1000).toFixed(1)} s; restarting in ${(delay / 1000).toFixed(1)} s` +
          (n > 1 ? ` (failure ${n} in a row)` : ""),
      );
      timers.set(
        role.name,
        setTimeout(() => {
          timers.delete(role.name);
          if (stopping) return;
          restartCount.set(role.name, (restartCount.get(role.name) ?? 0) + 1);
          start(role);
        }, delay),
      );
    });
  };

  const kill = () => {
    for (const child of running.values()) child.kill("SIGKILL");
  };

  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      const children = [...running.values()];
      opts.log(
        `${reason}: stopping ${children.length} role(s) (SIGTERM, SIGKILL after ${opts.graceMs / 1000} s)`,
      );
      for (const child of children) child.kill("SIGTERM");
      const exited = Promise.all(children.map((c) => c.exited));
      const inTime = await Promise.race([exited.then(() => true), Bun.sleep(opts.graceMs).then(() => false)]);
      if (!inTime) {
        const late = [...running.keys()];
        opts.log(`still running after ${opts.graceMs / 1000} s: ${late.join(", ")}; sending SIGKILL`);
        kill();
        await exited;
      }
      // The exit handlers above run after each child's output is drained; let them finish.
      while (running.size) await Bun.sleep(10);
      finish(exitCode);
    })();
    return stopping;
  };

  for (const role of roles) start(role);
  return {
    pids: () => Object.fromEntries(roles.map((r) => [r.name, running.get(r.name)?.pid])),
    restarts: () => Object.fromEntries(roles.map((r) => [r.name, restartCount.get(r.name) ?? 0])),
    stop,
    kill,
    done,
  };
}
