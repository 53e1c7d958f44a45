/**
 * `bun run docs:examples`: walk the API on a throwaway embedded database (example-flow.ts) and store
 * each route's real answer as its example in edge-api/openapi/examples.json. Run it after changing a
 * route's answer; tests/api/openapi.test.ts checks every example against its route's schema.
 */
import { resolve } from "node:path";
import { loadConfig } from "../../core/config.ts";
import { createApp } from "../../edge-api/app.ts";
import { evaluateAlertsNow, exampleExchanges } from "../../edge-api/openapi/example-flow.ts";
import { startRuntime } from "./runtime.ts";

const runtime = await startRuntime(
  loadConfig({
    LOGFLOW_DATA_DIR: "memory://",
    LOG_LEVEL: "error",
    RATE_LIMIT_ENABLED: "false",
    BCRYPT_ROUNDS: "4",
  }),
);
try {
  const app = createApp(runtime.deps);
  const login = await app.request("/api/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "admin", password: "admin123" }),
  });
  const { access_token } = (await login.json()) as { access_token: string };
  const exchanges = await exampleExchanges(
    { request: async (path, init) => app.request(path, init), adminToken: access_token },
    evaluateAlertsNow(runtime.deps),
  );
  // Credentials from this throwaway database are useless elsewhere, but look like secrets to scanners
  // and readers: shown in shape only.
  const redact = (value: unknown): unknown =>
    JSON.parse(JSON.stringify(value), (k, v) =>
      k === "access_token" && typeof v === "string"
        ? "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.<claims>.<signature>"
        : k === "key" && typeof v === "string" && v.startsWith("lf_")
          ? `${v.slice(0, 10)}<shown once>`
          : v,
    );
  const examples: Record<string, unknown> = {};
  for (const e of exchanges) {
    if (e.status >= 400) throw new Error(`${e.route} answered ${e.status}: ${JSON.stringify(e.body)}`);
    if (e.body !== "" && typeof e.body === "object") examples[e.route] = redact(e.body);
  }
  const file = resolve(import.meta.dir, "../../edge-api/openapi/examples.json");
  await Bun.write(file, `${JSON.stringify(examples, null, 2)}\n`);
  // In the repository's own format, so that `bun run lint` stays clean after a capture.
  Bun.spawnSync(["bunx", "biome", "format", "--write", file], { stdout: "ignore", stderr: "inherit" });
  console.log(`wrote ${Object.keys(examples).length} examples to ${file}`);
} finally {
  await runtime.close();
}
