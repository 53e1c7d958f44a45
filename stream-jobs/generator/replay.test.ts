import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { normalizeLevel } from "../../core/level.ts";
import { parseLogEvent } from "../../core/log-event.ts";
import { loghubDir } from "../../tests/helpers/loghub.ts";
import { integrationTimeouts } from "../../tests/helpers/timeouts.ts";
import { detectLevel, lineToEvent, replayFile, replayText, serviceFromFileName } from "./replay.ts";

integrationTimeouts();

const LOGHUB = loghubDir();
const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);

/** The LogHub samples: [system, path of its *_2k.log]. */
const SAMPLES: [string, string][] =
  LOGHUB === null
    ? []
    : readdirSync(LOGHUB, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => [d.name, join(LOGHUB, d.name, `${d.name}_2k.log`)] as [string, string])
        .filter(([, path]) => Bun.file(path).size > 0);

/** Raw lines as the file has them: split on LF, one trailing CR dropped, blank lines skipped. */
function rawLines(text: string): string[] {
  const lines = text.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  return lines.filter((l) => l.trim() !== "");
}

/** Minimal RFC 4180 reader for LogHub's *_structured.csv (quoted fields, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\n") {
      row.push(field.replace(/\r$/, ""));
      rows.push(row);
      row = [];
      field = "";
    } else field += ch;
  }
  if (field !== "" || row.length > 0) rows.push([...row, field]);
  return rows;
}

describe.skipIf(LOGHUB === null)("replay of every LogHub sample", () => {
  test("finds the LogHub samples", () => {
    expect(SAMPLES.length).toBeGreaterThanOrEqual(16);
  });

  for (const [system, path] of SAMPLES) {
    test(`${system}: one valid event per non-empty line, message exactly the raw line`, async () => {
      const text = await Bun.file(path).text();
      const lines = rawLines(text);
      const events = replayText(text, path, { now: () => NOW });
      expect(events).toHaveLength(lines.length);
      events.forEach((event, i) => {
        expect(event.message).toBe(lines[i] as string);
        expect(event.service).toBe(system.toLowerCase());
        expect(event.timestamp).toBe(new Date(NOW).toISOString());
        const parsed = parseLogEvent(event, NOW);
        if (!parsed.ok) throw new Error(`${system} line ${i + 1}: ${parsed.error}`);
        expect(parsed.event.level).toBe(event.level);
      });
    });
  }

  test("streaming a file gives the same events as reading it whole, in small batches", async () => {
    for (const [, path] of SAMPLES.slice(0, 4)) {
      const whole = replayText(await Bun.file(path).text(), path, { now: () => NOW });
      const batches = await Array.fromAsync(replayFile(path, { now: () => NOW, batchSize: 333 }));
      expect(batches.every((b) => b.length <= 333)).toBe(true);
      expect(batches.flat()).toEqual(whole);
    }
  });
});

// LogHub's structured CSVs carry the level each line was written with: the ground truth.
describe.skipIf(LOGHUB === null)("level extraction against LogHub's labels", () => {
  const LETTERS: Record<string, string> = {
    V: "DEBUG",
    D: "DEBUG",
    I: "INFO",
    W: "WARNING",
    E: "ERROR",
    F: "CRITICAL",
  };
  const truth = (value: string): string | null =>
    LETTERS[value] ?? (value === "FAILURE" ? "CRITICAL" : normalizeLevel(value));

  for (const system of [
    "Android",
    "Apache",
    "BGL",
    "HDFS",
    "Hadoop",
    "OpenStack",
    "Spark",
    "Windows",
    "Zookeeper",
  ]) {
    test(`${system}: the level agrees with LogHub's own Level column on every line`, async () => {
      const path = join(LOGHUB as string, system, `${system}_2k.log`);
      const rows = parseCsv(await Bun.file(`${path}_structured.csv`).text());
      const column = rows[0]?.indexOf("Level") ?? -1;
      expect(column).toBeGreaterThanOrEqual(0);
      const events = replayText(await Bun.file(path).text(), path);
      const expected = rows.slice(1).map((r) => truth(r[column] ?? ""));
      expect(events.map((e) => e.level)).toEqual(expected as never);
    });
  }
});

describe("level extraction", () => {
  test.each([
    ["[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6", "ERROR"],
    ["[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties", "INFO"],
    [
      "2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster",
      "INFO",
    ],
    [
      "2015-07-29 19:04:29,071 - WARN  [SendWorker:188978561024:QuorumCnxManager$SendWorker@688] - Send worker leaving",
      "WARNING",
    ],
    [
      "- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected",
      "INFO",
    ],
    [
      "KERNDTLB 1118536327 2005.06.11 R30-M0-N9-C:J16-U01 2005-06-11-17.32.07.581048 R30-M0-N9-C:J16-U01 RAS KERNEL FATAL data TLB error interrupt",
      "CRITICAL",
    ],
    ["03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogsopening app wtoken", "DEBUG"],
    ["03-17 16:13:40.245  1702  1820 E ActivityManager: ANR in com.example", "ERROR"],
    ["2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1.7601.23505", "INFO"],
    [
      "Jul  1 11:49:30 authorMacBook-Pro Dropbox[24019]: [0701/114930:WARNING:dns_config_service_posix.cc(306)] Failed to read DnsConfig.",
      "WARNING",
    ],
    [
      "Jul  2 02:32:17 calvisitor kernel[0]: [HID] [ATC] [Error] AppleDeviceManagementHIDEventService::start Could not make a string",
      "ERROR",
    ],
    [
      "- 1131567053 2005.11.09 tbird-admin1 Nov 9 12:10:53 local@tbird-admin1 gmetad: Warning: we failed to resolve data source",
      "WARNING",
    ],
    [
      "- 1131567043 2005.11.09 tbird-admin1 Nov 9 12:10:43 local@tbird-admin1 CPU: Trace cache: 12K uops, L1 D cache: 16K",
      "INFO",
    ],
    ["Jun 15 04:06:20 combo logrotate: ALERT exited abnormally with [1]", "INFO"],
    ["Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186", "INFO"],
    ["at java.lang.Error.<init>(Error.java:58) in com.example.ErrorHandler", "INFO"],
    ["<11>Jan  1 00:00:00 host app: disk failure", "ERROR"],
    ['{"level":"warn","msg":"cache miss storm"}', "WARNING"],
    ['{"level":50,"time":1700000000000,"msg":"pino error"}', "ERROR"],
    ["ts=2024-01-01T00:00:00Z level=debug msg=polling", "DEBUG"],
    ["E/AndroidRuntime( 1234): FATAL EXCEPTION: main", "ERROR"],
  ])("%s → %s", (line, level) => {
    expect(detectLevel(line)).toBe(level as never);
  });
});

describe("files and lines", () => {
  test("service names derive from file names", () => {
    expect(serviceFromFileName("../shared/data/loghub/Apache/Apache_2k.log")).toBe("apache");
    expect(serviceFromFileName("HDFS_2k.log")).toBe("hdfs");
    expect(serviceFromFileName("/var/log/nova-api.log.1")).toBe("nova-api");
    expect(serviceFromFileName("My App.log.gz")).toBe("my-app");
    expect(serviceFromFileName("___.log")).toBe("replay");
  });

  test("CRLF, LF and a missing final newline all give the same lines; blank lines are skipped", () => {
    const expected = ["first INFO line", "  indented ERROR line  ", "last"];
    for (const text of [
      "first INFO line\r\n  indented ERROR line  \r\n\r\nlast\r\n",
      "first INFO line\n  indented ERROR line  \n \nlast",
    ]) {
      const events = replayText(text, "x.log", { service: "svc" });
      expect(events.map((e) => e.message)).toEqual(expected);
      expect(events.map((e) => e.attributes.line_number)).toEqual([1, 2, 4]);
      expect(events.map((e) => e.level)).toEqual(["INFO", "ERROR", "INFO"]);
      expect(events.every((e) => e.service === "svc" && e.attributes.source_file === "x.log")).toBe(true);
    }
    expect(lineToEvent("   ", "svc", NOW, { file: "x.log", lineNumber: 1 })).toBeNull();
  });

  test("a file streamed in tiny chunks splits lines correctly, multi-byte characters included", async () => {
    const dir = mkdtempSync(join(tmpdir(), "replay-"));
    try {
      const lines = Array.from(
        { length: 5_000 },
        (_, i) => `2026-01-01 WARN line ${i} naïve café ☕ ${"x".repeat(i % 97)}`,
      );
      const path = join(dir, "unicode.log");
      writeFileSync(path, `${lines.join("\r\n")}\r\n`);
      const events = (await Array.fromAsync(replayFile(path, { batchSize: 1_000 }))).flat();
      expect(events.map((e) => e.message)).toEqual(lines);
      expect(events.every((e) => e.level === "WARNING" && e.service === "unicode")).toBe(true);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  test("a missing file fails with ENOENT", async () => {
    expect(Array.fromAsync(replayFile("/nonexistent/nope.log"))).rejects.toMatchObject({ code: "ENOENT" });
  });
});
