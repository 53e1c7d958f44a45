/**
 * The Bun entrypoints' start-up: the port checked before anything is created on disk, and a start-up
 * that fails on a setting or a dependency ended with one line and its exit code (core/startup.ts).
 */
import { createServer } from "node:net";
import { EX_UNAVAILABLE, StartupError } from "../../core/startup.ts";

/** The line for a port something else listens on. */
export function portInUse(variable: string, host: string, port: number): StartupError {
  return new StartupError(
    EX_UNAVAILABLE,
    `${variable}: port ${port} on ${host} is in use by another process; stop it (another LogFlow?) or set ${variable} to a free port`,
  );
}

/**
 * Throw StartupError when `port` cannot be listened on at `host` (0, any free port, always can).
 * `variable` is the setting that chose it.
 */
export async function checkPort(variable: string, host: string, port: number): Promise<void> {
  if (port === 0) return;
  const error = await new Promise<Error | null>((resolve) => {
    const server = createServer();
    server.once("error", (err) => resolve(err));
    server.listen(port, host, () => server.close(() => resolve(null)));
  });
  if (!error) return;
  const code = (error as { code?: string }).code;
  if (code === "EADDRINUSE") throw portInUse(variable, host, port);
  throw new StartupError(
    EX_UNAVAILABLE,
    `${variable}: cannot listen on ${host}:${port} (${code ?? error.message}); check PORT and HOST`,
  );
}

/** Bun.serve's error for a port taken between the check and the listen, as the same line. */
export function listenError(err: unknown, variable: string, host: string, port: number): unknown {
  const code = (err as { code?: string } | null)?.code;
  return code === "EADDRINUSE" ? portInUse(variable, host, port) : err;
}

/**
 * For a start-up's rejection: a StartupError is printed as its one line (stderr) and ends the process
 * with its exit code; anything else is a bug, rethrown whole.
 */
export function exitOnStartupError(err: unknown): never {
  if (err instanceof StartupError) {
    console.error(err.message);
    process.exit(err.exitCode);
  }
  throw err;
}
