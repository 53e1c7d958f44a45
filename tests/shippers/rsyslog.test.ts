import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LogEvent } from "../../core/log-event.ts";
import { type SyslogListener, startSyslogListener } from "../../workers/bun/syslog-listener.ts";
import { freshService } from "../helpers/app.ts";
import { requiredEngines } from "../helpers/engines.ts";
import {
  expectKnownLines,
  readmeConfig,
  servedSuite,
  storedWhen,
  writeKnownLines,
} from "../helpers/shippers.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

// Debian's rsyslog, started privately by the test (its own config, work directory and pid file; never
// the system service), with the configurations the README shows, word for word but for the address,
// ports and key: omfwd over TCP and UDP to the syslog listener, omelasticsearch to /_bulk.
const RSYSLOGD =
  Bun.which("rsyslogd") ?? (Bun.file("/usr/sbin/rsyslogd").size > 0 ? "/usr/sbin/rsyslogd" : null);
const hasEs = Bun.file("/usr/lib/x86_64-linux-gnu/rsyslog/omelasticsearch.so").size > 0;
if (!RSYSLOGD || !hasEs) {
  if (requiredEngines().has("rsyslog"))
    throw new Error(
      "rsyslog is required (LOGFLOW_REQUIRE_ENGINES) but rsyslogd or omelasticsearch is missing",
    );
  console.warn(
    "[skip] rsyslogd or rsyslog-elasticsearch not installed (apt-get install rsyslog rsyslog-elasticsearch)",
  );
}

const s = servedSuite();
let syslog: SyslogListener;
const dirs: string[] = [];

/**
 * rsyslog reading two files (500 lines at severity warning, 500 at err) tagged `service`, and shipping
 * them with `action`; stopped once the lines are stored.
 */
async function shipWithRsyslog(service: string, action: string): Promise<LogEvent[]> {
  const dir = mkdtempSync(join(tmpdir(), "logflow-rsyslog-"));
  dirs.push(dir);
  writeKnownLines(dir, service);
  const conf = join(dir, "rsyslog.conf");
  writeFileSync(
    conf,
    [
      `global(workDirectory="${dir}")`,
      `module(load="imfile")`,
      `input(type="imfile" File="${dir}/app.log" Tag="${service}" Facility="local3" Severity="warning")`,
      `input(type="imfile" File="${dir}/errors.log" Tag="${service}" Facility="local3" Severity="error")`,
      `if $programname != "${service}" then stop`,
      action,
    ].join("\n"),
  );
  const proc = Bun.spawn([RSYSLOGD!, "-n", "-f", conf, "-i", join(dir, "rsyslogd.pid")], {
    stdout: "ignore",
    stderr: "pipe",
  });
  try {
    const stored = await storedWhen(s.t, service, 1_000);
    if (stored.length < 1_000) {
      proc.kill();
      console.error(`${stored.length} stored`, await new Response(proc.stderr).text());
    }
    return stored;
  } finally {
    proc.kill();
    await proc.exited;
  }
}

describe.skipIf(!RSYSLOGD || !hasEs)("rsyslog with the README's configurations", () => {
  // In the describe, so that the listener drains before the suite's app closes.
  beforeAll(async () => {
    syslog = await startSyslogListener(s.t.runtime.deps, { port: 0, hostname: "127.0.0.1" });
  });
  afterAll(async () => {
    await syslog?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const address = (config: string, port: number) =>
    config
      .replace('target="logflow.internal"', 'target="127.0.0.1"')
      .replace('port="5514"', `port="${port}"`);

  test("omfwd over TCP, octet-counted, RFC 5424: 1,000 lines stored once each", async () => {
    const service = freshService("rsyslog-tcp");
    const start = Date.now();
    const stored = await shipWithRsyslog(service, address(readmeConfig("rsyslog-omfwd-tcp"), syslog.tcpPort));
    expectKnownLines(stored, service, start);
    expect(stored[0]!.attributes["syslog.facility"]).toBe("local3");
  });

  test("omfwd over UDP: 1,000 lines stored once each", async () => {
    const service = freshService("rsyslog-udp");
    const start = Date.now();
    expectKnownLines(
      await shipWithRsyslog(service, address(readmeConfig("rsyslog-omfwd-udp"), syslog.udpPort)),
      service,
      start,
    );
  });

  test("omelasticsearch to /_bulk with Basic auth: 1,000 lines stored once each", async () => {
    const service = freshService("rsyslog-es");
    const start = Date.now();
    const url = new URL(s.url());
    const config = readmeConfig("rsyslog-omelasticsearch")
      .replace('server="logflow.internal"', `server="${url.hostname}"`)
      .replace('serverport="8000"', `serverport="${url.port}"`)
      .replace('pwd="lf_your_ingest_key"', `pwd="${s.key()}"`);
    expectKnownLines(await shipWithRsyslog(service, config), service, start);
  });
});
