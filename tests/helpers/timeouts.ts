import { setDefaultTimeout } from "bun:test";

/**
 * Gives every test and hook of the calling file 30 s instead of Bun's 5 s: integration suites start
 * engines, servers and processes, and a loaded CI machine runs them several times slower. Call it at the
 * top of the file. Bun applies a default timeout per file only (neither bunfig.toml nor a preload's
 * `setDefaultTimeout` reaches every file), so each file that needs it says so, and plain `bun test`
 * works without flags.
 */
export function integrationTimeouts(ms = 30_000): void {
  setDefaultTimeout(ms);
}
