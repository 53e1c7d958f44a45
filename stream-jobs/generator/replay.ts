import { createReadStream } from "node:fs";
import { basename } from "node:path";
import { type Level, normalizeLevel } from "../../core/level.ts";

/**
 * Replay of real log files (the LogHub samples, or any text log) as ingest events. Each non-blank line
 * becomes one event whose message is the line exactly as written; the line's own timestamp stays inside
 * the message because historical times are older than retention and would be rejected, so the event is
 * stamped with the replay time instead.
 */

/** One replayed line, in the ingest input shape. */
export interface ReplayEvent {
  timestamp: string;
  service: string;
  level: Level;
  message: string;
  attributes: { source_file: string; line_number: number };
}

/** Options shared by the replay functions. */
export interface ReplayOptions {
  /** Service name for every event; default derived from the file name (`Apache_2k.log` → `apache`). */
  service?: string;
  /** Time source for event timestamps (epoch ms); default `Date.now`. */
  now?: () => number;
}

/**
 * Service name from a log file's name: directory, extensions, rotation numbers and LogHub's size
 * suffix dropped, lowercased, kebab-cased. `/data/Apache_2k.log` → `apache`, `nova-api.log.1` → `nova-api`.
 */
export function serviceFromFileName(path: string): string {
  let name = basename(path)
    .replace(/\.(gz|bz2|zst)$/i, "")
    .replace(/(\.\d+)+$/, "")
    .replace(/\.(log|txt|out|err|json|jsonl|ndjson)$/i, "")
    .replace(/[_-]\d+k$/i, "");
  name = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return name.slice(0, 128) || "replay";
}

// Android logcat "threadtime" (MM-DD hh:mm:ss.mmm PID TID L Tag: …) and "brief" (L/Tag( PID): …).
const LOGCAT_THREADTIME = /^\d{2}-\d{2}\s+\d{2}:\d{2}:\d{2}\.\d{3}\s+\d+\s+\d+\s+([VDIWEFA])\s/;
const LOGCAT_BRIEF = /^([VDIWEFA])\/[^(\s]+\s*\(\s*\d+\):/;
const LOGCAT: Record<string, Level> = {
  V: "DEBUG",
  D: "DEBUG",
  I: "INFO",
  W: "WARNING",
  E: "ERROR",
  F: "CRITICAL",
  A: "CRITICAL",
};

// Syslog with its priority still attached (<PRI>…): the severity is PRI mod 8.
const SYSLOG_PRI = /^<(\d{1,3})>/;
// Structured lines: a JSON "level" field or logfmt level=…; numbers may be pino's 10…60.
const JSON_LEVEL = /"(?:level|severity|lvl|log\.level)"\s*:\s*(?:"([A-Za-z]+\d?)"|(\d{1,2}))/;
const LOGFMT_LEVEL = /(?:^|\s)(?:level|lvl|severity)=("?)([A-Za-z]+)\1(?=\s|$)/;
const PINO: Record<string, Level> = {
  "10": "DEBUG",
  "20": "DEBUG",
  "30": "INFO",
  "40": "WARNING",
  "50": "ERROR",
  "60": "CRITICAL",
};

// A level in brackets, any case: Apache's [error], syslog-ng's [warn], macOS's [Error].
const BRACKETED =
  /\[\s*(trace|debug|info|notice|warn|warning|error|err|crit|critical|alert|emerg|fatal|severe)\s*\]/i;
/*
 * A bare level word, UPPERCASE (INFO, WARN, FATAL, BGL's SEVERE and FAILURE, Chromium's :WARNING:) or
 * Capitalised (Windows CBS "Info", "Error:", "Warning:"). Lowercase words are left alone: "parity error
 * corrected" is prose, not a level; so are Capitalised "Trace" and "Debug" ("CPU: Trace cache: 12K uops"). Neighbouring word characters, dots, dashes and slashes rule out
 * identifiers and paths such as java.lang.Error, Error.java, ERROR-CODE or /Info/. ALERT is absent on purpose: bare,
 * it is usually prose ("ALERT exited abnormally" from logrotate), not syslog's severity 1.
 */
const BARE_WORD =
  /(?<![\w.\-/])(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|SEVERE|FATAL|FAILURE|CRITICAL|CRIT|EMERG|PANIC|Info|Information|Notice|Warn|Warning|Error|Severe|Fatal|Critical)(?![\w\-/]|\.\w)/;
const EXTRA_WORDS: Record<string, Level> = { FAILURE: "CRITICAL" };

function fromWord(word: string): Level | null {
  return EXTRA_WORDS[word.toUpperCase()] ?? normalizeLevel(word);
}

/**
 * The level written in a raw log line, or INFO when none is. Structured markers win (syslog priority, a
 * JSON or logfmt level field, Android logcat's letter); otherwise the leftmost level word, because log
 * formats put the level in the header, before free text that may mention other level words.
 */
export function detectLevel(line: string): Level {
  const pri = SYSLOG_PRI.exec(line);
  if (pri) {
    const level = normalizeLevel(Number(pri[1]) % 8);
    if (level) return level;
  }
  const json = line.trimStart().startsWith("{") ? JSON_LEVEL.exec(line) : null;
  if (json) {
    const level = json[1] !== undefined ? fromWord(json[1]) : (PINO[json[2] ?? ""] ?? null);
    if (level) return level;
  }
  const logfmt = LOGFMT_LEVEL.exec(line);
  if (logfmt?.[2]) {
    const level = fromWord(logfmt[2]);
    if (level) return level;
  }
  const logcat = LOGCAT_THREADTIME.exec(line) ?? LOGCAT_BRIEF.exec(line);
  if (logcat?.[1]) return LOGCAT[logcat[1]] ?? "INFO";

  const bracket = BRACKETED.exec(line);
  const bare = BARE_WORD.exec(line);
  const first = bracket && (!bare || bracket.index <= bare.index) ? bracket : bare;
  return (first?.[1] && fromWord(first[1])) || "INFO";
}

/**
 * Turn one raw line into an event, or null for a blank line. `line` must already be without its line
 * terminator; the message is the line exactly (no trimming), so a search finds what the file had.
 */
export function lineToEvent(
  line: string,
  service: string,
  nowMs: number,
  source: { file: string; lineNumber: number },
): ReplayEvent | null {
  if (line.trim() === "") return null;
  return {
    timestamp: new Date(nowMs).toISOString(),
    service,
    level: detectLevel(line),
    message: line,
    attributes: { source_file: source.file, line_number: source.lineNumber },
  };
}

/** Split text into lines the way files end them: on LF, with one trailing CR removed (CRLF files). */
function* splitLines(text: string): Generator<string> {
  let from = 0;
  for (;;) {
    const nl = text.indexOf("\n", from);
    if (nl === -1) break;
    yield stripCr(text.slice(from, nl));
    from = nl + 1;
  }
  if (from < text.length) yield stripCr(text.slice(from));
}

function stripCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

/** Replay a whole text already in memory (small files, tests). `file` names the source in attributes. */
export function replayText(text: string, file: string, options: ReplayOptions = {}): ReplayEvent[] {
  const service = options.service ?? serviceFromFileName(file);
  const now = options.now ?? Date.now;
  const events: ReplayEvent[] = [];
  let lineNumber = 0;
  for (const line of splitLines(text)) {
    lineNumber++;
    const event = lineToEvent(line, service, now(), { file: basename(file), lineNumber });
    if (event) events.push(event);
  }
  return events;
}

/**
 * Stream a log file as batches of at most `batchSize` events, reading it incrementally so files larger
 * than memory can be replayed. Timestamps are taken when each batch is built, so a slow consumer (a
 * rate-limited sender) still gets events stamped close to when they are sent.
 */
export async function* replayFile(
  path: string,
  options: ReplayOptions & { batchSize?: number } = {},
): AsyncGenerator<ReplayEvent[]> {
  const service = options.service ?? serviceFromFileName(path);
  const now = options.now ?? Date.now;
  const batchSize = Math.max(1, options.batchSize ?? 500);
  const file = basename(path);
  const decoder = new TextDecoder();
  let lineNumber = 0;
  let carry = "";
  let batch: ReplayEvent[] = [];

  const take = (line: string): ReplayEvent[] | null => {
    lineNumber++;
    const event = lineToEvent(stripCr(line), service, now(), { file, lineNumber });
    if (event) batch.push(event);
    if (batch.length < batchSize) return null;
    const full = batch;
    batch = [];
    return full;
  };

  for await (const chunk of createReadStream(path)) {
    carry += decoder.decode(chunk as Uint8Array, { stream: true });
    let from = 0;
    for (;;) {
      const nl = carry.indexOf("\n", from);
      if (nl === -1) break;
      const full = take(carry.slice(from, nl));
      from = nl + 1;
      if (full) yield full;
    }
    carry = carry.slice(from);
  }
  carry += decoder.decode();
  if (carry !== "") {
    const full = take(carry);
    if (full) yield full;
  }
  if (batch.length > 0) yield batch;
}
