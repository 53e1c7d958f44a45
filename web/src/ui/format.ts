import { createSignal } from "solid-js";

const ZONE_KEY = "logflow.timezone";

function storedUtc(): boolean {
  try {
    return localStorage.getItem(ZONE_KEY) === "UTC";
  } catch {
    return false;
  }
}

const [utc, setUtcSignal] = createSignal(storedUtc());

/** Whether times are shown in UTC (else in the browser's zone); remembered in this browser. */
export { utc };

export function setUtc(on: boolean) {
  setUtcSignal(on);
  try {
    localStorage.setItem(ZONE_KEY, on ? "UTC" : "local");
  } catch {
    // Storage refused (private mode): the choice lasts for this page.
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = JSON.stringify(opts);
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(undefined, opts);
    formatters.set(key, f);
  }
  return f;
}

/**
 * A compact time in the reader's locale, to the millisecond, in the zone chosen (`utc()`): "Dec 3,
 * 13:55:02.123", or "Dec 3, 01:55:02.123 PM" where the locale counts 12 hours (the milliseconds
 * belong to the seconds, before the AM/PM); the year only when it is not this year's.
 */
export function formatTime(iso: string | number | null | undefined, now = Date.now()): string {
  if (iso === null || iso === undefined || iso === "") return "–";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const timeZone = utc() ? "UTC" : undefined;
  const year = (t: Date) => (timeZone ? t.getUTCFullYear() : t.getFullYear());
  return formatter({
    ...(year(d) === year(new Date(now)) ? {} : { year: "numeric" }),
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    fractionalSecondDigits: 3,
    timeZone,
  }).format(d);
}

/** The zone times are shown in: "UTC", or the browser's own short name ("CET", "GMT+1", "PST"). */
export function zoneLabel(at = new Date()): string {
  if (utc()) return "UTC";
  const part = formatter({ timeZoneName: "short" })
    .formatToParts(at)
    .find((p) => p.type === "timeZoneName");
  return part?.value ?? "local time";
}

/** "3 min ago", "2 h ago": for freshness labels. */
export function ago(iso: string | number, now = Date.now()): string {
  const t = typeof iso === "number" ? iso : Date.parse(iso);
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

const num = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
export function formatNumber(n: number | null | undefined): string {
  return n === null || n === undefined ? "–" : num.format(n);
}

/** For <input type="datetime-local" step="1">: wall time to the second, in the zone shown (`utc()`). */
export function toLocalInput(iso: string | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  if (utc()) return d.toISOString().slice(0, 19);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** The inverse of toLocalInput: an ISO instant, or undefined for an empty or unreadable value. */
export function fromLocalInput(v: string): string | undefined {
  if (!v) return undefined;
  const d = new Date(utc() ? `${v.length === 16 ? `${v}:00` : v}Z` : v);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** Save text (or a blob) as a file through a temporary link. */
export function download(filename: string, text: string | Blob, type: string) {
  const url = URL.createObjectURL(typeof text === "string" ? new Blob([text], { type }) : text);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
