/** A sink for LogFlow's own log lines: one JSON object each, with `level` and `msg`. */
export type LogLine = (line: Record<string, unknown>) => void;

const RANK: Record<string, number> = { DEBUG: 0, INFO: 1, WARNING: 2, ERROR: 3, CRITICAL: 3 };
const MIN: Record<string, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/**
 * LogFlow's own logs as one JSON object per line, in LogFlow's event shape (so LogFlow can ingest
 * itself), below `minLevel` dropped. `write` is the runtime's sink: stdout on Bun, console on Workers
 * and Deno.
 */
export function jsonLogger(
  minLevel: "debug" | "info" | "warn" | "error",
  write: (text: string) => void,
): LogLine {
  const min = MIN[minLevel] ?? 1;
  return (line) => {
    if ((RANK[String(line.level)] ?? 1) < min) return;
    write(JSON.stringify({ timestamp: new Date().toISOString(), service: "logflow", ...line }));
  };
}
