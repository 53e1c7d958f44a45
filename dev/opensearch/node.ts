/**
 * A single OpenSearch 2.19 node for development and CI, run from the Maven Central jars: Maven resolves
 * the classpath (dev/opensearch/pom.xml), javac compiles Launcher.java against it, and `java -cp` runs it
 * in the background with its data and log under `.data/opensearch/`. No distribution download, no Docker.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { isAlive } from "../../core/process-alive.ts";
import { ownedPid, portTaken, portTakenError } from "../ownership.ts";

export interface DevNode {
  /** HTTP endpoint, e.g. http://127.0.0.1:9200. */
  url: string;
  port: number;
  /** Everything the node owns: data, compiled launcher, classpath, pid and log. */
  dir: string;
  logFile: string;
  pidFile: string;
}

const HERE = import.meta.dir;

/** The dev node's layout: OPENSEARCH_DEV_PORT (9200) and OPENSEARCH_DEV_DIR (.data/opensearch) may move it. */
export function devNode(env: Record<string, string | undefined> = process.env): DevNode {
  const port = Number(env.OPENSEARCH_DEV_PORT ?? 9200);
  const dir = resolve(env.OPENSEARCH_DEV_DIR ?? join(HERE, "../../.data/opensearch"));
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dir,
    logFile: join(dir, "node.log"),
    pidFile: join(dir, "node.pid"),
  };
}

/** The cluster health colour when something answers on the node's port, else null. */
export async function clusterHealth(url: string, timeoutMs = 2000): Promise<string | null> {
  try {
    const res = await fetch(`${url}/_cluster/health`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return null;
    const body = (await res.json()) as { status?: string };
    return body.status ?? null;
  } catch {
    return null;
  }
}

function run(cmd: string, args: string[], what: string): void {
  const r = spawnSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.error) throw new Error(`${what}: cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    const out = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n").slice(-30).join("\n");
    throw new Error(`${what} failed (exit ${r.status}):\n${out}`);
  }
}

function digest(...files: string[]): string {
  const h = createHash("sha256");
  for (const f of files) h.update(readFileSync(f));
  return h.digest("hex").slice(0, 16);
}

/** Resolve the jars (first time: downloads ~60 MB into ~/.m2) and compile the launcher, when changed. */
function prepare(node: DevNode): string {
  const pom = join(HERE, "pom.xml");
  const source = join(HERE, "Launcher.java");
  const classes = join(node.dir, "classes");
  const cpFile = join(node.dir, "classpath.txt");
  const stamp = join(node.dir, "build.stamp");
  const want = digest(pom, source);
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === want && existsSync(cpFile)) {
    return `${classes}:${readFileSync(cpFile, "utf8").trim()}`;
  }
  mkdirSync(node.dir, { recursive: true });
  run(
    "mvn",
    ["-q", "-B", "-f", pom, "dependency:build-classpath", `-Dmdep.outputFile=${cpFile}`],
    "resolving the OpenSearch jars with Maven",
  );
  const cp = readFileSync(cpFile, "utf8").trim();
  rmSync(classes, { recursive: true, force: true });
  run("javac", ["-d", classes, "-cp", cp, source], "compiling dev/opensearch/Launcher.java");
  writeFileSync(stamp, want);
  return `${classes}:${cp}`;
}

/** The pid of the node this checkout started (from its data directory), when it still runs. */
function pidOf(node: DevNode): number | null {
  return ownedPid(node.pidFile, node.dir);
}

/**
 * Start the node, or reuse the one this checkout started (its pid file and data directory). Resolves
 * once `/_cluster/health` answers; rejects with the end of the node's log when it exits or does not
 * answer within the deadline. A port held by anything else is an error naming OPENSEARCH_DEV_PORT:
 * someone else's node is neither reused nor, later, stopped.
 */
export async function startNode(
  node: DevNode,
  deadlineMs = 180_000,
): Promise<{ reused: boolean; ms: number }> {
  const t0 = performance.now();
  const ours = pidOf(node);
  if (ours && (await clusterHealth(node.url))) return { reused: true, ms: performance.now() - t0 };
  if (ours) {
    // Ours but not answering: still starting, or wedged; either way not a second node on the same data.
    const deadline = Date.now() + deadlineMs;
    while (Date.now() < deadline && isAlive(ours)) {
      if (await clusterHealth(node.url)) return { reused: true, ms: performance.now() - t0 };
      await Bun.sleep(500);
    }
    throw new Error(
      `the node this checkout started (pid ${ours}) does not answer on ${node.url}; see ${node.logFile}`,
    );
  }
  if (await portTaken(node.port))
    throw portTakenError("OpenSearch node", node.port, "OPENSEARCH_DEV_PORT", node.dir);
  const classpath = prepare(node);
  mkdirSync(join(node.dir, "home"), { recursive: true });
  mkdirSync(join(node.dir, "tmp"), { recursive: true });
  const log = openSync(node.logFile, "a");
  const child = spawn(
    "java",
    [
      // Modest on purpose: CI shares two cores and 24 GiB with other engines.
      "-Xms512m",
      "-Xmx1g",
      "-XX:+UseG1GC",
      "-Dfile.encoding=UTF-8",
      `-Djava.io.tmpdir=${join(node.dir, "tmp")}`,
      `-Dlog4j2.configurationFile=${join(HERE, "log4j2.properties")}`,
      "-cp",
      classpath,
      "Launcher",
      join(node.dir, "home"),
      String(node.port),
    ],
    { detached: true, stdio: ["ignore", log, log] },
  );
  closeSync(log);
  let exited: number | null = null;
  child.on("exit", (code) => {
    exited = code ?? -1;
  });
  child.unref();
  writeFileSync(node.pidFile, String(child.pid));
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (await clusterHealth(node.url)) return { reused: false, ms: performance.now() - t0 };
    if (exited !== null) break;
    await Bun.sleep(500);
  }
  const tail = existsSync(node.logFile)
    ? readFileSync(node.logFile, "utf8").trim().split("\n").slice(-30).join("\n")
    : "(no log)";
  if (exited === null && child.pid) process.kill(child.pid, "SIGTERM");
  throw new Error(
    exited !== null
      ? `the node exited (code ${exited}) before answering; end of ${node.logFile}:\n${tail}`
      : `no answer on ${node.url} within ${deadlineMs / 1000} s; end of ${node.logFile}:\n${tail}`,
  );
}

/** Stop the node this script started (by its pid file) and wait until it has exited. */
export async function stopNode(node: DevNode, deadlineMs = 60_000): Promise<boolean> {
  const pid = pidOf(node);
  if (pid === null) return false;
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + deadlineMs;
  while (isAlive(pid) && Date.now() < deadline) await Bun.sleep(200);
  if (isAlive(pid)) process.kill(pid, "SIGKILL");
  rmSync(node.pidFile, { force: true });
  return true;
}
