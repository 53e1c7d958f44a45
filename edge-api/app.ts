import type { OpenAPIHono } from "@hono/zod-openapi";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import { AppError } from "../core/errors.ts";
import { alertRoutes } from "./alerts/routes.ts";
import { anomalyRoutes } from "./anomaly/routes.ts";
import { apiKeyRoutes } from "./api-keys/routes.ts";
import { authRoutes } from "./auth/routes.ts";
import { cacheRoutes } from "./cache/routes.ts";
import type { AppDeps, AppEnv } from "./context.ts";
import { healthRoutes } from "./health/routes.ts";
import { elasticsearchInfo, elasticsearchRoutes, wantsElasticsearch } from "./ingest/elasticsearch.ts";
import { lokiRoutes } from "./ingest/loki.ts";
import { otlpRoutes } from "./ingest/otlp.ts";
import { isIngestPath } from "./ingest/paths.ts";
import { ingestRoutes } from "./ingest/routes.ts";
import { logRoutes } from "./logs/routes.ts";
import { metricsRoutes } from "./metrics/routes.ts";
import { optionalAuth, readAccess } from "./middleware/auth.ts";
import { refuseNulBytes } from "./middleware/nul-bytes.ts";
import { rateLimit } from "./middleware/rate-limit.ts";
import { requestContext } from "./middleware/request-context.ts";
import { DOCS_PAGE } from "./openapi/docs-page.ts";
import { openApiDocument } from "./openapi/document.ts";
import { router } from "./openapi/router.ts";
import { problem, problemFromError } from "./problem.ts";
import { rateLimitRoutes } from "./rate-limits/routes.ts";
import { retentionRoutes } from "./retention/routes.ts";
import { savedSearchRoutes } from "./saved-searches/routes.ts";
import { StaticRouteCache } from "./static-route-cache.ts";
import { traceRoutes } from "./trace/routes.ts";

const PLACEHOLDER = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>LogFlow</title>
<meta name="viewport" content="width=device-width,initial-scale=1"></head>
<body style="font-family:system-ui;max-width:40rem;margin:3rem auto;padding:0 1rem">
<h1>LogFlow</h1><p>The API is running. The dashboard has not been built yet (<code>bun run build</code>).</p>
<ul><li><a href="/health">/health</a></li><li><a href="/api/v1/logs/recent">/api/v1/logs/recent</a></li></ul>
</body></html>`;

let routes: OpenAPIHono<AppEnv> | undefined;

/**
 * Every API route, each domain's routes, schemas and handlers from its own folder: add a domain with
 * one line here. Built once per process (or Workers isolate), since it holds no dependency (handlers
 * read theirs from the request's context), and mounted by every `createApp`; its registry is what
 * /openapi.json is generated from.
 */
export function apiRoutes(): OpenAPIHono<AppEnv> {
  if (routes) return routes;
  const api = router("api");
  api.route("/", healthRoutes());
  api.route("/api/v1/auth", authRoutes());
  api.route("/api/v1/ingest", ingestRoutes());
  api.route("/api/v1/api-keys", apiKeyRoutes());
  api.route("/api/v1/cache", cacheRoutes());
  api.route("/api/v1/rate-limits", rateLimitRoutes());
  api.route("/api/v1/retention", retentionRoutes());
  api.route("/api/v1/saved-searches", savedSearchRoutes());
  api.route("/api/v1", traceRoutes());
  api.route("/api/v1/logs", logRoutes());
  api.route("/api/v1/metrics", metricsRoutes());
  api.route("/api/v1/anomaly", anomalyRoutes());
  api.route("/api/v1/alerts", alertRoutes());
  routes = api;
  return api;
}

/**
 * The whole HTTP API as one Hono app. Runtime-neutral: the same module serves on Bun, Deno and
 * Cloudflare Workers; every dependency comes in through `deps`. Build it once per process (or Workers
 * isolate): a runtime whose dependencies live for one request hands them to each request instead
 * (REQUEST_DEPS); the settings (CORS) are the ones of `deps`.
 */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>({ router: new StaticRouteCache() });

  app.use("*", requestContext(deps));
  app.use("*", refuseNulBytes());
  // Every body but ingest's (which has its own, larger limit) is small: 1 MiB, streamed or not.
  const smallBodies = bodyLimit({
    maxSize: 1024 * 1024,
    onError: () => {
      throw new AppError("PAYLOAD_TOO_LARGE", "Body larger than 1 MiB");
    },
  });
  app.use("/api/*", (c, next) =>
    c.req.raw.body === null || isIngestPath(c.req.path) ? next() : smallBodies(c, next),
  );
  // Who is asking (when a valid token came along) decides the rate-limit identifier.
  app.use("*", optionalAuth());
  app.use("*", rateLimit());
  // READ_ACCESS=authenticated: every read under /api/ takes a session or an API key with `read`.
  app.use("*", readAccess());
  if (deps.settings.CORS_ORIGINS.length > 0) {
    app.use(
      "*",
      cors({
        origin: deps.settings.CORS_ORIGINS,
        allowHeaders: ["Authorization", "Content-Type", "X-Correlation-ID"],
        exposeHeaders: ["X-Request-ID", "X-Correlation-ID", "Retry-After"],
        maxAge: 600,
      }),
    );
  }

  // A plain Hono app mounting the shared routes: an OpenAPIHono parent would be remembered by them
  // (for its validation hook), and with it this request's dependencies.
  app.route("/", apiRoutes());
  app.get("/openapi.json", (c) => c.json(openApiDocument(apiRoutes())));
  app.get("/docs", (c) => c.html(DOCS_PAGE));

  // The request's dependencies (the app's, or those a runtime handed this request: REQUEST_DEPS).
  const depsOf = (c: Context<AppEnv>): AppDeps => c.get("deps") ?? deps;

  // Shippers' own protocols (README "Shipping logs"), documented by their specs rather than /openapi.json.
  app.route("/", elasticsearchRoutes({ info: false }));
  app.route("/api/v1/es", elasticsearchRoutes({ info: true }));
  app.get("/api/v1/es/", elasticsearchInfo);
  for (const prefix of ["/", "/api/v1/otlp"]) app.route(prefix, otlpRoutes());
  for (const prefix of ["/", "/api/v1"]) app.route(prefix, lokiRoutes());

  app.get("/", async (c) => {
    // Elasticsearch clients read the version document here (and ping with HEAD); browsers get the dashboard.
    if (wantsElasticsearch(c.req.raw)) return elasticsearchInfo(c);
    const assets = depsOf(c).assets;
    const page = assets ? await assets(c.req.raw) : null;
    return page ?? c.html(PLACEHOLDER);
  });

  app.notFound(async (c) => {
    const assets = depsOf(c).assets;
    if (assets && (c.req.method === "GET" || c.req.method === "HEAD") && !c.req.path.startsWith("/api/")) {
      const asset = await assets(c.req.raw);
      if (asset) return asset;
    }
    return problem(c, "NOT_FOUND", `No route for ${c.req.method} ${c.req.path}`);
  });

  app.onError((err, c) => {
    const deps = depsOf(c);
    if (err instanceof AppError) return problemFromError(c, err);
    if (err instanceof HTTPException) {
      const code =
        err.status === 413
          ? "PAYLOAD_TOO_LARGE"
          : err.status === 401
            ? "UNAUTHORIZED"
            : err.status === 415
              ? "UNSUPPORTED_MEDIA_TYPE"
              : "BAD_REQUEST";
      return problem(c, code, err.message || "Bad request");
    }
    // An engine away for now (the adapters know their clients' errors): 503, worth retrying, not a bug.
    const away = deps.outage?.(err);
    if (away) {
      const reason = err instanceof Error ? err.message : String(err);
      deps.log?.({
        level: "WARNING",
        msg: `${away} unavailable`,
        error: reason,
        request_id: c.get("requestId"),
      });
      // The cause is in the log line; the answer does not show clients the engine's address.
      return problem(
        c,
        "UNAVAILABLE",
        `${away[0]?.toUpperCase()}${away.slice(1)} unavailable; retry after the delay in Retry-After`,
        { headers: { "Retry-After": "5" } },
      );
    }
    // Unexpected: log it whole, answer without internals.
    deps.log?.({
      level: "ERROR",
      msg: "unhandled error",
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      stack: err instanceof Error ? err.stack : undefined,
      request_id: c.get("requestId"),
      correlation_id: c.get("correlationId"),
    });
    return problem(
      c,
      "INTERNAL",
      "Something went wrong on our side; the request id identifies it in our logs",
    );
  });

  return app;
}
