/**
 * What the dev engines (`kafka:dev`, `opensearch:dev`) may treat as their own: only a process whose pid
 * they recorded and whose command line names their data directory. Anything else on their port is
 * someone else's (another checkout's engine, a system service) and is never reused or stopped.
 */
import { existsSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { isAlive } from "../core/process-alive.ts";

/**
 * A dev engine's start command: prints each line `start` reports prefixed with the engine's name and
 * exits 0, or prints why it could not start and exits 1.
 */
export async function runStartCommand(engine: string, start: () => Promise<string[]>): Promise<never> {
  try {
    for (const line of await start()) console.log(`${engine}: ${line}`);
    process.exit(0);
  } catch (err) {
    console.error(`${engine}: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  }
}

/** The pid recorded in `pidFile` when that process still runs and was started with `dir` in its arguments. */
export function ownedPid(pidFile: string, dir: string): number | null {
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  if (!isAlive(pid)) return null;
  // A recycled pid belongs to some other program: its command line does not name our directory.
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(dir) ? pid : null;
  } catch {
    return pid; // no /proc (macOS): the pid file is all there is to go by
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export function portTaken(port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const done = (taken: boolean) => {
      socket.destroy();
      resolve(taken);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** The error for a port some other process holds, naming the variable that moves the engine elsewhere. */
export function portTakenError(engine: string, port: number, variable: string, dir: string): Error {
  return new Error(
    `port ${port} is in use by a process this checkout did not start (no ${engine} of ours runs from ${dir}). ` +
      `Stop that process, or start ours on a free port: ${variable}=<port> bun run ${engine === "Kafka broker" ? "kafka" : "opensearch"}:dev`,
  );
}
