import { describe, expect, test } from "bun:test";
import { DEFAULT_EVENT_LIMITS } from "../log-event.ts";
import type { DecodedItem } from "./decoded.ts";
import { decodePlainLines } from "./plain-lines.ts";

const NOW = Date.parse("2026-11-29T12:00:00.000Z");
const OPTIONS = { limits: DEFAULT_EVENT_LIMITS, maxEvents: 1_000, now: NOW, service: "web" };

function decode(text: string, options: Partial<typeof OPTIONS> = {}): DecodedItem[] {
  const r = decodePlainLines(text, { ...OPTIONS, ...options });
  if (!r.ok) throw new Error(r.error);
  return r.items;
}
const inputs = (text: string) => decode(text).map((i) => (i.ok ? i.input : i.error));

describe("decodePlainLines", () => {
  test("one event per non-blank line, the caller's service, now and INFO when the line shows nothing", () => {
    expect(inputs("hello\r\n\n  \nworld")).toEqual([
      { service: "web", level: "INFO", message: "hello", attributes: {} },
      { service: "web", level: "INFO", message: "world", attributes: {} },
    ]);
    expect(decode("x", { service: undefined })[0]).toMatchObject({ input: { service: "unknown" } });
  });

  test("an Apache/nginx combined access line: time from the brackets, level from the status, request fields", () => {
    const line =
      '203.0.113.9 - alice [29/Nov/2026:11:55:36 +0100] "GET /checkout?id=7 HTTP/1.1" 502 1234 "https://shop.example/" "curl/8.5.0"';
    expect(inputs(line)[0]).toEqual({
      service: "web",
      level: "ERROR",
      message: line,
      timestamp: Date.parse("2026-11-29T10:55:36Z"),
      attributes: {
        "client.address": "203.0.113.9",
        "http.request.method": "GET",
        "url.path": "/checkout?id=7",
        "http.response.status_code": 502,
        "http.response.body.size": 1234,
        "user.name": "alice",
        "http.request.header.referer": "https://shop.example/",
        "user_agent.original": "curl/8.5.0",
      },
    });
    const common = inputs('::1 - - [29/Nov/2026:11:00:00 -0030] "POST /login HTTP/1.0" 404 -')[0];
    expect(common).toMatchObject({ level: "WARNING", timestamp: Date.parse("2026-11-29T11:30:00Z") });
    expect(inputs('::1 - - [29/Nov/2026:11:00:00 +0000] "GET / HTTP/1.1" 200 5')[0]).toMatchObject({
      level: "INFO",
    });
  });

  test("leading times: ISO-8601 with or without zone, comma fractions, nginx's error log, BSD syslog", () => {
    const t = (line: string) => (inputs(line)[0] as { timestamp?: number }).timestamp;
    expect(t("2026-11-29T11:00:00.250+01:00 started")).toBe(Date.parse("2026-11-29T10:00:00.250Z"));
    expect(t("2026-11-29 11:00:00,5 started")).toBe(Date.parse("2026-11-29T11:00:00.500Z"));
    expect(t("[2026-11-29T11:00:00Z] started")).toBe(Date.parse("2026-11-29T11:00:00Z"));
    expect(t("2026/11/29 11:00:01 [error] 7#0: upstream timed out")).toBe(Date.parse("2026-11-29T11:00:01Z"));
    expect(t("Nov 29 11:00:02 host sshd[1]: ok")).toBe(Date.parse("2026-11-29T11:00:02Z"));
    expect(t("started at 2026-11-29T11:00:00Z")).toBeUndefined();
  });

  test("level words: UPPERCASE, [bracketed] or level= in any case; the first one wins", () => {
    const level = (line: string) => (inputs(line)[0] as { level: string }).level;
    expect(level("2026-11-29 11:00:00 ERROR db down")).toBe("ERROR");
    expect(level("WARN disk 91%")).toBe("WARNING");
    expect(level("2026/11/29 11:00:01 [crit] 7#0: bad")).toBe("CRITICAL");
    expect(level('ts=1 level=warn msg="slow"')).toBe("WARNING");
    expect(level("INFO retrying after ERROR")).toBe("INFO");
    expect(level("an error happened")).toBe("INFO"); // a lowercase word in prose is not a level
    expect(level("TERRORIST is not ERR")).toBe("ERROR");
  });

  test("a JSON line is read as an event, the caller's service its default", () => {
    expect(inputs('{"msg":"j","level":40,"ts":1796292700}')[0]).toEqual({
      service: "web",
      level: "WARNING",
      message: "j",
      timestamp: 1_796_292_700_000,
      attributes: {},
    });
  });

  test("more lines than allowed refuse the request; a huge line is cut, not refused", () => {
    expect(decodePlainLines("a\nb\nc\n", { ...OPTIONS, maxEvents: 2 })).toMatchObject({
      ok: false,
      code: "PAYLOAD_TOO_LARGE",
    });
    const [big] = inputs(`ERROR ${"x".repeat(100_000)}`) as { message: string; level: string }[];
    expect(big!.message).toHaveLength(DEFAULT_EVENT_LIMITS.maxMessageChars);
    expect(big!.level).toBe("ERROR");
  });
});
