import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import { AppError } from "../../core/errors.ts";
import { HealthSchema, type HealthStatus, LivenessSchema } from "../../core/ops/schema.ts";
import type { AppEnv, HealthCheck } from "../context.ts";
import { metricsAccess } from "../middleware/auth.ts";
import { router } from "../openapi/router.ts";
import { json, problems } from "../openapi/spec.ts";

const CHECK_TIMEOUT_MS = 2000;
/**
 * How long a check is waited for while writes are queued: a database busy committing them (PGlite runs
 * one statement at a time) answers a probe late, which is load, not an outage.
 */
const BUSY_TIMEOUT_MS = 250;

type Outcome = { status: HealthStatus; detail: string; timedOut?: true };

async function run(check: HealthCheck, timeoutMs: number): Promise<Outcome> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Outcome>((resolve) => {
    timer = setTimeout(
      () => resolve({ status: "unhealthy", detail: `no answer within ${timeoutMs} ms`, timedOut: true }),
      timeoutMs,
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

const live = createRoute({
  method: "get",
  path: "/health/live",
  summary: "Liveness: the process answers (no dependency is asked)",
  description: "For an orchestrator's liveness probe: restart the process only when this fails.",
  responses: {
    200: json(LivenessSchema, "alive", { status: "alive", timestamp: "2026-11-27T10:00:00.000Z" }),
    ...problems(),
  },
});

const ready = createRoute({
  ...health,
  path: "/health/ready",
  summary: "Readiness: the dependencies (the same answer as /health)",
  description:
    "For a readiness probe or a load balancer: 503 when a required dependency is down; 200 (degraded) while it is only busy with queued writes.",
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
  const readiness = async (c: Context<AppEnv>) => {
    const deps = c.get("deps");
    // Writes accepted and not yet committed: a dependency that answers late is busy with them.
    const queued = deps.queue.lag();
    const timeoutMs = queued > 0 ? BUSY_TIMEOUT_MS : CHECK_TIMEOUT_MS;
    const results = await Promise.all(deps.health.map(async (h) => ({ h, r: await run(h, timeoutMs) })));
    let status: HealthStatus = "healthy";
    const services: Record<string, HealthStatus> = {};
    const details: Record<string, string> = {};
    for (const { h, r: outcome } of results) {
      const r: Outcome =
        outcome.timedOut && queued > 0
          ? { status: "degraded", detail: `busy: ${queued} events queued for writing; ${outcome.detail}` }
          : outcome;
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
  };
  app.openapi(health, readiness);
  app.openapi(ready, readiness);
  app.openapi(live, (c) =>
    c.json(
      { status: "alive" as const, timestamp: new Date(c.get("deps").now?.() ?? Date.now()).toISOString() },
      200,
    ),
  );

  app.openapi(metrics, async (c) => {
    const rendered = await c.get("deps").telemetry?.render();
    if (!rendered) throw new AppError("NOT_FOUND", "Metrics are not collected on this runtime");
    return c.text(rendered.body, 200, { "content-type": rendered.contentType });
  });
  return app;
}
