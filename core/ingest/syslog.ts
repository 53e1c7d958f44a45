import { parseTimestamp } from "../log-event.ts";
import type { DecodedItem, DecodeOptions } from "./decoded.ts";
import { type Fields, mapRecord } from "./mapping.ts";

const FACILITIES = [
  "kern",
  "user",
  "mail",
  "daemon",
  "auth",
  "syslog",
  "lpr",
  "news",
  "uucp",
  "cron",
  "authpriv",
  "ftp",
  "ntp",
  "security",
  "console",
  "solaris-cron",
  "local0",
  "local1",
  "local2",
  "local3",
  "local4",
  "local5",
  "local6",
  "local7",
];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A syslog message taken apart. Fields the message did not carry are absent. */
export interface SyslogMessage {
  format: "rfc5424" | "rfc3164";
  facility: number;
  severity: number;
  /** Epoch milliseconds. */
  timestamp?: number;
  hostname?: string;
  appName?: string;
  procId?: string;
  msgId?: string;
  /** RFC 5424 structured data as `<SD-ID>.<PARAM-NAME>` → value. */
  structuredData?: Record<string, string>;
  message: string;
}

/**
 * Parse one syslog message, RFC 5424 (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG`) or the BSD
 * format of RFC 3164 (`<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG`, also with an RFC 3339 time as rsyslog
 * forwards it). Never fails: what does not follow either format is kept whole as the message (a
 * missing PRI is user.notice, as RFC 3164 says a relay should assume). BSD times carry neither year nor
 * zone: they are read as UTC in the year that puts them closest before `now`.
 */
export function parseSyslog(text: string, now: number): SyslogMessage {
  let rest = text;
  let facility = 1;
  let severity = 5;
  const pri = /^<(\d{1,3})>/.exec(rest);
  if (pri && Number(pri[1]) <= 191) {
    facility = Number(pri[1]) >> 3;
    severity = Number(pri[1]) & 7;
    rest = rest.slice(pri[0].length);
  }
  if (/^1 /.test(rest)) {
    const parsed = parse5424(rest.slice(2), facility, severity);
    if (parsed) return parsed;
  }
  return parse3164(rest, facility, severity, now);
}

function nil(token: string | undefined): string | undefined {
  return token === undefined || token === "-" || token === "" ? undefined : token;
}

function parse5424(text: string, facility: number, severity: number): SyslogMessage | null {
  const header = /^(\S+) (\S+) (\S+) (\S+) (\S+) /.exec(text);
  if (!header) return null;
  const [, ts, host, app, proc, msgId] = header;
  const out: SyslogMessage = { format: "rfc5424", facility, severity, message: "" };
  if (ts !== "-") {
    const ms = parseTimestamp(ts!);
    if (ms !== null) out.timestamp = ms;
  }
  const set = <K extends "hostname" | "appName" | "procId" | "msgId">(k: K, v: string | undefined) => {
    const value = nil(v);
    if (value !== undefined) out[k] = value;
  };
  set("hostname", host);
  set("appName", app);
  set("procId", proc);
  set("msgId", msgId);
  let i = header[0].length;
  if (text[i] === "-") i++;
  else if (text[i] === "[") {
    const sd = parseStructuredData(text, i);
    if (!sd) return null;
    out.structuredData = sd.data;
    i = sd.end;
  } else return null;
  let message = text[i] === " " ? text.slice(i + 1) : text.slice(i);
  if (message.startsWith("\uFEFF")) message = message.slice(1); // the BOM RFC 5424 puts before UTF-8 text
  out.message = message;
  return out;
}

/** `[id k="v" …][id2 …]` from `start`; values unescape \" \\ \]. Null when malformed. */
function parseStructuredData(
  text: string,
  start: number,
): { data: Record<string, string>; end: number } | null {
  const data: Record<string, string> = {};
  let i = start;
  while (text[i] === "[") {
    i++;
    const id = /^[^\s\]=]+/.exec(text.slice(i, i + 64))?.[0];
    if (!id) return null;
    i += id.length;
    for (;;) {
      if (text[i] === "]") {
        i++;
        break;
      }
      if (text[i] !== " ") return null;
      i++;
      const name = /^[^\s\]="]+/.exec(text.slice(i, i + 64))?.[0];
      if (!name || text[i + name.length] !== "=" || text[i + name.length + 1] !== '"') return null;
      i += name.length + 2;
      const value = paramValue(text, i);
      if (!value) return null;
      i = value.end + 1;
      const key = `${id}.${name}`;
      if (!(key in data)) data[key] = value.value;
    }
  }
  return { data, end: i };
}

/**
 * A PARAM-VALUE from `start` (just past its opening quote) to its closing quote (`end`), unescaping
 * \" \\ \]. Null without a closing quote. A value without a backslash, nearly every one, is one slice.
 */
function paramValue(text: string, start: number): { value: string; end: number } | null {
  const close = text.indexOf('"', start);
  if (close < 0) return null;
  const plain = text.slice(start, close);
  if (!plain.includes("\\")) return { value: plain, end: close };
  let value = "";
  let i = start;
  for (;;) {
    const c = text[i];
    if (c === undefined) return null;
    if (c === '"') return { value, end: i };
    if (c === "\\" && (text[i + 1] === '"' || text[i + 1] === "\\" || text[i + 1] === "]")) {
      value += text[i + 1];
      i += 2;
    } else {
      value += c;
      i++;
    }
  }
}

const BSD_TIME = /^([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) /;
const RFC3339_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})) /;
const TAG = /^([^\s:[\]]{1,48})(?:\[([^\]\s]{1,32})\])?:(?: |$)/;

function parse3164(text: string, facility: number, severity: number, now: number): SyslogMessage {
  const out: SyslogMessage = { format: "rfc3164", facility, severity, message: text };
  let rest = text;
  const bsd = BSD_TIME.exec(rest);
  const iso = bsd ? null : RFC3339_TIME.exec(rest);
  if (bsd) {
    const ms = bsdTime(bsd, now);
    if (ms !== null) out.timestamp = ms;
    rest = rest.slice(bsd[0].length);
  } else if (iso) {
    const ms = parseTimestamp(iso[1]!);
    if (ms !== null) out.timestamp = ms;
    rest = rest.slice(iso[0].length);
  }
  // HOST TAG: MSG, or TAG: MSG when the sender left the host out.
  if (!TAG.test(rest)) {
    const host = /^(\S{1,255}) /.exec(rest);
    if (host && (bsd || iso)) {
      out.hostname = host[1]!;
      rest = rest.slice(host[0].length);
    }
  }
  const tag = TAG.exec(rest);
  if (tag) {
    out.appName = tag[1]!;
    if (tag[2] !== undefined) out.procId = tag[2];
    rest = rest.slice(tag[0].length);
  }
  out.message = rest;
  return out;
}

function bsdTime(m: RegExpExecArray, now: number): number | null {
  const month = MONTHS.indexOf(m[1]!);
  if (month < 0) return null;
  const year = new Date(now).getUTCFullYear();
  const at = (y: number) =>
    Date.UTC(y, month, Number(m[2]!.trim()), Number(m[3]), Number(m[4]), Number(m[5]));
  const ms = at(year);
  // A December line read in January belongs to last year.
  return ms > now + 86_400_000 ? at(year - 1) : ms;
}

/**
 * One syslog message to an event input: APP-NAME is the service when the message's own fields name
 * none, the severity the level, HOSTNAME the host; structured data, facility, PROCID and MSGID are
 * attributes. A message that is a JSON object is read as the event.
 */
export function syslogItem(
  text: string,
  now: number,
  options: DecodeOptions & { service?: string },
): DecodedItem {
  const m = parseSyslog(text, now);
  const attributes: Record<string, string> = {
    "syslog.facility": FACILITIES[m.facility] ?? String(m.facility),
  };
  if (m.procId !== undefined) attributes["syslog.procid"] = m.procId;
  if (m.msgId !== undefined) attributes["syslog.msgid"] = m.msgId;
  const fields: Fields[] = m.structuredData ? [m.structuredData] : [];
  return mapRecord(
    {
      line: m.message,
      fields,
      fallbackMessage: text,
      service: m.appName ?? options.service,
      syslogSeverity: m.severity,
      ...(m.timestamp !== undefined ? { timestamp: m.timestamp } : {}),
      ...(m.hostname !== undefined ? { host: m.hostname } : {}),
      attributes,
    },
    options.limits,
  );
}
