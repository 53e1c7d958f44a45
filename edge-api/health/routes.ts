import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { AppError } from "../../core/errors.ts";
import { HealthSchema, type HealthStatus } from "../../core/ops/schema.ts";
import type { HealthCheck } from "../context.ts";
import { metricsAccess } from "../middleware/auth.ts";
import { router } from "../openapi/router.ts";
import { json, problems } from "../openapi/spec.ts";

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

const health = createRoute({
  method: "get",
  path: "/health",
  summary: "Service health in the seed's shape",
  responses: {
    200: json(HealthSchema, "healthy or degraded (503 when a required dependency is down)", {
      status: "healthy",
      timestamp: "2026-11-27T10:00:00.000Z",
      services: { database: "healthy", log_store: "healthy", queue: "healthy" },
      details: { database: "postgres", log_store: "healthy", queue: "0 pending" },
    }),
    503: json(HealthSchema, "A required dependency is down"),
    ...problems(),
  },
});

const metrics = createRoute({
  method: "get",
  path: "/metrics",
  summary: "Prometheus metrics (text exposition format)",
  description:
    "Open outside production; in production the bearer METRICS_TOKEN when set, else an admin's session.",
  middleware: [metricsAccess()] as const,
  responses: {
    200: { description: "text/plain; version=0.0.4", content: { "text/plain": { schema: z.string() } } },
    ...problems("NOT_FOUND", "UNAUTHORIZED", "FORBIDDEN"),
  },
});

/**
 * GET /health in the seed's shape: `status`, `timestamp`, `services{name: word}`. 503 when a required
 * dependency is down; "degraded" (still 200) when only an optional one is. GET /metrics: the Prometheus
 * scrape endpoint (the seed's), open like the seed's; 404 where metrics are not collected.
 */
export function healthRoutes() {
  const app = router("health");
  app.openapi(health, async (c) => {
    const deps = c.get("deps");
    const results = await Promise.all(deps.health.map(async (h) => ({ h, r: await run(h) })));
    let status: HealthStatus = "healthy";
    const services: Record<string, HealthStatus> = {};
    const details: Record<string, string> = {};
    for (const { h, r } of results) {
      services[h.name] = r.status;
      details[h.name] = r.detail;
      if (r.status === "unhealthy" && h.required) status = "unhealthy";
      else if (r.status !== "healthy" && status === "healthy") status = "degraded";
    }
    const timestamp = new Date(deps.now?.() ?? Date.now()).toISOString();
    // Which engines run, and what they said, is for those who may read: an anonymous caller of a
    // closed instance learns the status only.
    const open = deps.settings.READ_ACCESS !== "authenticated" || c.get("user") !== undefined;
    const body = open ? { status, timestamp, services, details } : { status, timestamp };
    return status === "unhealthy" ? c.json(body, 503) : c.json(body, 200);
  });

  app.openapi(metrics, async (c) => {
    const rendered = await c.get("deps").telemetry?.render();
    if (!rendered) throw new AppError("NOT_FOUND", "Metrics are not collected on this runtime");
    return c.text(rendered.body, 200, { "content-type": rendered.contentType });
  });
  return app;
}
