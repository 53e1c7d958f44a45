import { Hono } from "hono";
import type { AppEnv, HealthCheck } from "../context.ts";

const CHECK_TIMEOUT_MS = 2000;

async function run(check: HealthCheck) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<{ status: "unhealthy"; detail: string }>((resolve) => {
    timer = setTimeout(
      () => resolve({ status: "unhealthy", detail: `no answer within ${CHECK_TIMEOUT_MS} ms` }),
      CHECK_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([check.check(), timeout]);
  } catch (err) {
    return { status: "unhealthy" as const, detail: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * GET /health in the seed's shape: `status`, `timestamp`, `services{name: word}`. 503 when a required
 * dependency is down; "degraded" (still 200) when only an optional one is.
 */
export function healthRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/", async (c) => {
    const deps = c.get("deps");
    const results = await Promise.all(deps.health.map(async (h) => ({ h, r: await run(h) })));
    let status: "healthy" | "degraded" | "unhealthy" = "healthy";
    const services: Record<string, string> = {};
    const details: Record<string, string> = {};
    for (const { h, r } of results) {
      services[h.name] = r.status;
      details[h.name] = r.detail;
      if (r.status === "unhealthy" && h.required) status = "unhealthy";
      else if (r.status !== "healthy" && status === "healthy") status = "degraded";
    }
    const body = { status, timestamp: new Date(deps.now?.() ?? Date.now()).toISOString(), services, details };
    return c.json(body, status === "unhealthy" ? 503 : 200);
  });
  return app;
}
