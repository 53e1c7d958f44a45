/**
 * A single-node KRaft Apache Kafka for development and tests, run from the official jars that Maven
 * resolves from Maven Central (dev/kafka/pom.xml): no Docker, no tarball. Used by `bun run kafka:dev`,
 * `bun run kafka:stop`, the broker-restart test and the pipeline benchmark.
 */
import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pingKafka } from "../../core/adapters/kafka/client.ts";
import { isAlive } from "../../core/process-alive.ts";
import { ownedPid, portTaken, portTakenError } from "../ownership.ts";

const HERE = dirname(new URL(import.meta.url).pathname);

export interface DevBroker {
  /** host:port clients connect to. */
  bootstrap: string;
  port: number;
  controllerPort: number;
  /** Data, logs, config and pid file. */
  dir: string;
  logFile: string;
  pidFile: string;
}

/** The dev broker's layout: KAFKA_DEV_PORT (9092) and KAFKA_DEV_DIR (.data/kafka) may move it. */
export function devBroker(env: Record<string, string | undefined> = process.env): DevBroker {
  const port = Number(env.KAFKA_DEV_PORT ?? 9092);
  const dir = resolve(env.KAFKA_DEV_DIR ?? join(HERE, "../../.data/kafka"));
  return {
    bootstrap: `127.0.0.1:${port}`,
    port,
    controllerPort: port + 1,
    dir,
    logFile: join(dir, "broker.log"),
    pidFile: join(dir, "broker.pid"),
  };
}

/** The class path of the broker and its tools; resolved with Maven once, then cached beside the data. */
export function kafkaClasspath(b: DevBroker): string {
  const pom = join(HERE, "pom.xml");
  const cache = join(b.dir, "classpath.txt");
  if (existsSync(cache) && statSync(cache).mtimeMs >= statSync(pom).mtimeMs) {
    const cp = readFileSync(cache, "utf8").trim();
    if (cp.split(":").every((jar) => existsSync(jar))) return cp;
  }
  mkdirSync(b.dir, { recursive: true });
  console.log("resolving the Apache Kafka jars with Maven (the first time downloads ~70 MB)…");
  const mvn = spawnSync(
    "mvn",
    ["-q", "-B", "-f", pom, "dependency:build-classpath", `-Dmdep.outputFile=${cache}`],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  if (mvn.status !== 0) throw new Error(`mvn dependency:build-classpath failed (exit ${mvn.status})`);
  return readFileSync(cache, "utf8").trim();
}

/** The pid of the broker this checkout started (from its data directory), when it still runs. */
export function runningPid(b: DevBroker): number | null {
  return ownedPid(b.pidFile, b.dir);
}

function writeConfig(b: DevBroker): string {
  const template = readFileSync(join(HERE, "server.properties"), "utf8");
  const file = join(b.dir, "server.properties");
  writeFileSync(
    file,
    template
      .replaceAll("@PORT@", String(b.port))
      .replaceAll("@CONTROLLER_PORT@", String(b.controllerPort))
      .replaceAll("@LOG_DIRS@", join(b.dir, "data")),
  );
  return file;
}

function java(cp: string, args: string[], heap: string): string[] {
  return [
    `-Xmx${heap}`,
    `-Xms${heap}`,
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-Djava.awt.headless=true",
    `-Dlog4j2.configurationFile=${join(HERE, "log4j2.properties")}`,
    "-cp",
    cp,
    ...args,
  ];
}

/**
 * Start the broker, or reuse the one this checkout started (its pid file and data directory); resolve
 * once it answers. A port held by anything else is an error naming KAFKA_DEV_PORT: someone else's
 * broker is neither reused nor, later, stopped. The storage is formatted once (KRaft needs a cluster id
 * before the first start) and kept across restarts.
 */
export async function startBroker(
  b: DevBroker = devBroker(),
  opts: { timeoutMs?: number; heap?: string; quiet?: boolean } = {},
): Promise<{ reused: boolean; ms: number }> {
  const t0 = performance.now();
  const say = (s: string) => opts.quiet || console.log(s);
  const ours = runningPid(b);
  if (ours && (await pingKafka([b.bootstrap], 1_500)).ok) {
    say(`kafka: reusing the broker this checkout started (pid ${ours}) on ${b.bootstrap}`);
    return { reused: true, ms: performance.now() - t0 };
  }
  // Whether the broker is still running while we wait for it to answer. A broker spawned here is
  // watched through its exit event: right after the spawn its /proc cmdline may still be ours (exec not
  // done yet under load), which runningPid would read as "not our broker".
  let running = () => runningPid(b) !== null;
  if (ours) {
    // Ours, alive but not answering: still starting (wait below) — or wedged, which the timeout reports.
    say(`kafka: broker pid ${ours} is running but not answering yet; waiting`);
  } else {
    for (const port of [b.port, b.controllerPort]) {
      if (await portTaken(port)) throw portTakenError("Kafka broker", port, "KAFKA_DEV_PORT", b.dir);
    }
    const cp = kafkaClasspath(b);
    mkdirSync(b.dir, { recursive: true });
    const config = writeConfig(b);
    if (!existsSync(join(b.dir, "data", "meta.properties"))) {
      const format = spawnSync(
        "java",
        java(
          cp,
          ["kafka.tools.StorageTool", "format", "-t", clusterId(), "-c", config, "--ignore-formatted"],
          "256m",
        ),
        { encoding: "utf8" },
      );
      if (format.status !== 0) {
        throw new Error(`formatting the Kafka storage failed:\n${format.stdout}\n${format.stderr}`);
      }
    }
    const out = openSync(b.logFile, "a");
    const child = spawn("java", java(cp, ["kafka.Kafka", config], opts.heap ?? "512m"), {
      detached: true,
      stdio: ["ignore", out, out],
    });
    closeSync(out);
    let exited = false;
    child.once("exit", () => {
      exited = true;
    });
    child.unref();
    writeFileSync(b.pidFile, String(child.pid));
    running = () => !exited;
  }
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  for (;;) {
    const ping = await pingKafka([b.bootstrap], 1_500);
    if (ping.ok) break;
    if (!running()) throw new Error(`the Kafka broker exited during start-up; see ${b.logFile}`);
    if (Date.now() > deadline)
      throw new Error(`Kafka did not answer on ${b.bootstrap} in time; see ${b.logFile}`);
    await Bun.sleep(300);
  }
  return { reused: false, ms: performance.now() - t0 };
}

/** Stop the broker this script started: SIGTERM (a clean shutdown), then SIGKILL after `graceMs`. */
export async function stopBroker(
  b: DevBroker = devBroker(),
  opts: { graceMs?: number; signal?: "SIGTERM" | "SIGKILL" } = {},
): Promise<boolean> {
  const pid = runningPid(b);
  if (!pid) return false;
  process.kill(pid, opts.signal ?? "SIGTERM");
  const deadline = Date.now() + (opts.graceMs ?? 30_000);
  while (isAlive(pid)) {
    if (Date.now() > deadline) process.kill(pid, "SIGKILL");
    await Bun.sleep(100);
  }
  return true;
}

/** A KRaft cluster id: 16 random bytes, URL-safe base64 without padding. */
function clusterId(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64url");
}
