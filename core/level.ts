import { z } from "zod";

/** The five levels LogFlow stores, in increasing severity. */
export const LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] as const;
export type Level = (typeof LEVELS)[number];

const NAMES: Record<string, Level> = {
  TRACE: "DEBUG",
  VERBOSE: "DEBUG", // winston, Serilog
  SILLY: "DEBUG", // winston
  DEBUG: "DEBUG",
  DBG: "DEBUG",
  INFO: "INFO",
  INFORMATION: "INFO",
  INFORMATIONAL: "INFO",
  NOTICE: "INFO",
  LOG: "INFO",
  WARN: "WARNING",
  WARNING: "WARNING",
  ERR: "ERROR",
  ERROR: "ERROR",
  SEVERE: "ERROR",
  CRIT: "CRITICAL",
  CRITICAL: "CRITICAL",
  FATAL: "CRITICAL",
  ALERT: "CRITICAL",
  EMERG: "CRITICAL",
  EMERGENCY: "CRITICAL",
  PANIC: "CRITICAL",
};

/** The names as shippers usually spell them (info, INFO, Info), found without trimming or case folding. */
const SPELLED = new Map<string, Level>(
  Object.entries(NAMES).flatMap(([name, level]) => [
    [name, level],
    [name.toLowerCase(), level],
    [name[0] + name.slice(1).toLowerCase(), level],
  ]),
);

/** Syslog severities (RFC 5424): 0 emerg … 7 debug. */
const SYSLOG: Level[] = ["CRITICAL", "CRITICAL", "CRITICAL", "ERROR", "WARNING", "INFO", "INFO", "DEBUG"];

/**
 * OpenTelemetry SeverityNumber (1–24): TRACE 1–4, DEBUG 5–8, INFO 9–12, WARN 13–16, ERROR 17–20, FATAL 21–24.
 */
export function levelFromOtel(n: number): Level | null {
  if (!Number.isInteger(n) || n < 1 || n > 24) return null;
  if (n <= 8) return "DEBUG";
  if (n <= 12) return "INFO";
  if (n <= 16) return "WARNING";
  if (n <= 20) return "ERROR";
  return "CRITICAL";
}

/**
 * Normalise a level as shippers send it. Names in any case (WARN, err, Fatal, …); a number 0–7 is a
 * syslog severity (the overlap with OpenTelemetry's 1–7 is resolved in syslog's favour because that is
 * what a bare number means in most shippers); 8–24 can only be OpenTelemetry's SeverityNumber.
 * Returns null when the value cannot be understood.
 */
export function normalizeLevel(value: unknown): Level | null {
  if (typeof value === "number") {
    if (Number.isInteger(value) && value >= 0 && value <= 7) return SYSLOG[value] ?? null;
    return levelFromOtel(value);
  }
  if (typeof value !== "string") return null;
  const exact = SPELLED.get(value);
  if (exact !== undefined) return exact;
  const text = value.trim();
  if (/^\d{1,2}$/.test(text)) return normalizeLevel(Number(text));
  // OTel severity texts may carry a digit suffix: WARN2, ERROR3, FATAL4.
  const name = text.toUpperCase().replace(/[0-9]$/, "");
  return NAMES[name] ?? null;
}

/** pino's and bunyan's numeric levels: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal. */
export function levelFromPino(n: number): Level | null {
  switch (n) {
    case 10:
    case 20:
      return "DEBUG";
    case 30:
      return "INFO";
    case 40:
      return "WARNING";
    case 50:
      return "ERROR";
    case 60:
      return "CRITICAL";
    default:
      return null;
  }
}

/** Levels that count as errors for error rates and top errors. */
export const ERROR_LEVELS: readonly Level[] = ["ERROR", "CRITICAL"];

/** The refusal of a value that names no level, listing the five there are. */
export function unknownLevel(value: unknown): string {
  return `unknown level ${JSON.stringify(value)} (use ${LEVELS.join(", ")})`;
}

/** A level as a request body gives it, in any spelling normalizeLevel reads; refused naming the five otherwise. */
export const LevelInputSchema = z.string().transform((v, ctx): Level => {
  const l = normalizeLevel(v);
  if (!l) {
    ctx.addIssue({ code: "custom", message: unknownLevel(v) });
    return z.NEVER;
  }
  return l;
});
