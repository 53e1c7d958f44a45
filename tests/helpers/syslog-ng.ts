import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { requiredEngines } from "./engines.ts";

/**
 * Where `.ci/run` unpacks Debian's syslog-ng (`syslog-ng-core`, `-scl`, `-mod-http`) with `dpkg -x`:
 * its package conflicts with rsyslog's, which the rsyslog suite needs installed, so it is never installed
 * and never runs as a service; the tests start it privately. LOGFLOW_SYSLOG_NG_DIR points elsewhere.
 */
export const SYSLOG_NG_DIR =
  process.env.LOGFLOW_SYSLOG_NG_DIR ?? resolve(import.meta.dir, "../../.data/syslog-ng");

export interface SyslogNg {
  /** The binary and the option that points it at its own modules. */
  command: string[];
  /** The environment that finds its shared libraries. */
  env: Record<string, string>;
  /**
   * The first lines of a configuration: its version, then where `@include "scl.conf"` and the
   * configuration library's blocks (elasticsearch-http(), …) are found (syslog-ng has no command-line
   * option for that, only this define), then that include.
   */
  header: string;
}

const HINT =
  "bash .ci/run unpacks it, or: apt-get download syslog-ng-core syslog-ng-scl syslog-ng-mod-http && " +
  "dpkg -x <each .deb> .data/syslog-ng, and apt-get install libivykis0 libnet1 libpcre3";

/** syslog-ng unpacked at `root` (or installed, root `/`), if its binary runs there; else why not. */
function probe(root: string): SyslogNg | string {
  const binary = join(root, "usr/sbin/syslog-ng");
  if (!existsSync(binary)) return `no ${binary}`;
  const lib = join(root, "usr/lib/syslog-ng");
  // libsyslog-ng and its sibling libraries sit beside the modules' directory, outside the linker's path.
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    LD_LIBRARY_PATH: [lib, process.env.LD_LIBRARY_PATH].filter(Boolean).join(":"),
  };
  const run = Bun.spawnSync([binary, "--version"], { env, stdout: "pipe", stderr: "pipe" });
  const out = `${run.stdout.toString()}${run.stderr.toString()}`;
  const version = /Installer-Version: (\d+\.\d+)/.exec(out)?.[1];
  if (run.exitCode !== 0 || !version) return `${binary} --version failed: ${out.trim().slice(0, 300)}`;
  const modules = join(lib, version);
  if (!existsSync(join(modules, "libhttp.so"))) {
    return `no HTTP module at ${modules} (syslog-ng-mod-http), which elasticsearch-http() needs`;
  }
  const include = join(root, "usr/share/syslog-ng/include");
  if (!existsSync(join(include, "scl/elasticsearch/elastic-http.conf"))) {
    return `no configuration library at ${include} (syslog-ng-scl), which defines elasticsearch-http()`;
  }
  return {
    command: [binary, `--module-path=${modules}`],
    env,
    header: [
      `@version: ${version}`,
      `@define include-path "${join(root, "etc/syslog-ng")}:${include}"`,
      `@include "scl.conf"`,
    ].join("\n"),
  };
}

let found: SyslogNg | null | undefined;

/**
 * syslog-ng with its HTTP module: the unpacked copy, else one installed on the system. Null (and a
 * `[skip]` message) when there is none; throws instead when LOGFLOW_REQUIRE_ENGINES names `syslog-ng`,
 * as `.ci/run` does, so CI cannot pass by skipping.
 */
export function syslogNg(): SyslogNg | null {
  if (found !== undefined) return found;
  const unpacked = probe(SYSLOG_NG_DIR);
  const result = typeof unpacked === "string" ? probe("/") : unpacked;
  if (typeof result !== "string") {
    found = result;
    return found;
  }
  const reason = typeof unpacked === "string" ? `${unpacked}; ${result}` : result;
  if (requiredEngines().has("syslog-ng")) {
    throw new Error(`syslog-ng is required (LOGFLOW_REQUIRE_ENGINES) but unusable: ${reason} (${HINT})`);
  }
  console.warn(`[skip] syslog-ng unusable: ${reason} (${HINT}); its suite is skipped`);
  found = null;
  return found;
}
