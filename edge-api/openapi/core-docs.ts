import { z } from "zod";
import { LogEventInputSchema, LogEventSchema } from "../../core/log-event.ts";
import { CreateApiKeySchema } from "../api-keys/routes.ts";
import { LoginSchema, RegisterSchema, UpdateMeSchema } from "../auth/routes.ts";
import { ClearParamsSchema } from "../cache/routes.ts";
import { ContextParamsSchema, SearchParamsSchema } from "../logs/routes.ts";
import { TraceLogSchema } from "../trace/routes.ts";
import type { RouteDoc } from "./registry.ts";

const UserSchema = z
  .object({
    id: z.number().int(),
    username: z.string(),
    email: z.string(),
    full_name: z.string().nullable(),
    is_active: z.boolean(),
    is_admin: z.boolean(),
    created_at: z.string(),
  })
  .meta({ id: "User" });

const TokenSchema = z.object({
  access_token: z.string(),
  token_type: z.literal("bearer"),
  expires_in: z.number().int().describe("seconds"),
});

const IngestResultSchema = z.object({
  accepted: z.number().int(),
  rejected: z.number().int(),
  errors: z
    .array(z.object({ index: z.number().int(), error: z.string() }))
    .describe("at most 100 are listed"),
});

const ApiKeySchema = z
  .object({
    id: z.number().int(),
    user_id: z.number().int(),
    name: z.string(),
    prefix: z.string(),
    scopes: z.array(z.enum(["ingest", "read"])),
    created_at: z.string(),
    last_used_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
  })
  .meta({ id: "ApiKey" });

const LimitQuery = z.object({ limit: z.string().optional().describe("1–1000, default 100") });

/** The trunk's routes: health, auth, ingest, logs, API keys, tracing, Prometheus. */
export const CORE_ROUTE_DOCS: RouteDoc[] = [
  {
    method: "get",
    path: "/health",
    tag: "health",
    auth: "none",
    summary: "Service health in the seed's shape",
    response: {
      status: 200,
      description: "healthy or degraded (503 when a required dependency is down)",
      schema: z.object({
        status: z.enum(["healthy", "degraded", "unhealthy"]),
        timestamp: z.string(),
        services: z.record(z.string(), z.string()),
        details: z.record(z.string(), z.string()),
      }),
      example: {
        status: "healthy",
        timestamp: "2026-11-27T10:00:00.000Z",
        services: { database: "healthy", log_store: "healthy", queue: "healthy" },
        details: { database: "postgres", log_store: "healthy", queue: "0 pending" },
      },
    },
    errors: ["UNAVAILABLE"],
  },
  {
    method: "get",
    path: "/metrics",
    tag: "health",
    auth: "none",
    summary: "Prometheus metrics (text exposition format)",
    response: { status: 200, description: "text/plain; version=0.0.4" },
    errors: ["NOT_FOUND"],
  },
  {
    method: "post",
    path: "/api/v1/auth/register",
    tag: "auth",
    auth: "none",
    summary: "Register an account",
    body: {
      schema: RegisterSchema,
      example: {
        username: "alice",
        email: "alice@example.com",
        password: "secure123",
        full_name: "Alice Smith",
      },
    },
    response: { status: 201, description: "The new account", schema: UserSchema },
    errors: ["CONFLICT", "VALIDATION_FAILED", "INVALID_JSON", "UNSUPPORTED_MEDIA_TYPE", "RATE_LIMITED"],
  },
  {
    method: "post",
    path: "/api/v1/auth/login",
    tag: "auth",
    auth: "none",
    summary: "Log in for a bearer token (form-encoded as in the seed, or JSON)",
    body: {
      schema: LoginSchema,
      contentTypes: ["application/x-www-form-urlencoded", "application/json"],
      example: { username: "admin", password: "admin123" },
    },
    response: { status: 200, description: "A session token", schema: TokenSchema },
    errors: ["UNAUTHORIZED", "VALIDATION_FAILED", "UNSUPPORTED_MEDIA_TYPE", "RATE_LIMITED"],
  },
  {
    method: "get",
    path: "/api/v1/auth/me",
    tag: "auth",
    auth: "session",
    summary: "The signed-in user",
    response: { status: 200, description: "The account", schema: UserSchema },
    errors: ["UNAUTHORIZED", "FORBIDDEN", "RATE_LIMITED"],
  },
  {
    method: "put",
    path: "/api/v1/auth/me",
    tag: "auth",
    auth: "session",
    summary: "Change your email, name or password (the password needs current_password)",
    body: { schema: UpdateMeSchema, example: { full_name: "Alice B." } },
    response: { status: 200, description: "The account", schema: UserSchema },
    errors: ["UNAUTHORIZED", "FORBIDDEN", "CONFLICT", "VALIDATION_FAILED", "RATE_LIMITED"],
  },
  {
    method: "get",
    path: "/api/v1/auth/users",
    tag: "auth",
    auth: "admin",
    summary: "Every account",
    response: { status: 200, description: "Users", schema: z.object({ users: z.array(UserSchema) }) },
    errors: ["UNAUTHORIZED", "FORBIDDEN", "RATE_LIMITED"],
  },
  {
    method: "post",
    path: "/api/v1/ingest",
    tag: "logs",
    auth: "session-or-key",
    summary: "Ship logs: one event, an array, or NDJSON (gzip/deflate accepted)",
    description:
      "Each event is judged on its own: valid events are stored even when others are rejected. The answer comes once the accepted events are committed.",
    body: {
      schema: z.union([LogEventInputSchema, z.array(LogEventInputSchema)]),
      contentTypes: ["application/json", "application/x-ndjson"],
      example: [
        { service: "payment-service", level: "ERROR", message: "card declined", correlation_id: "txn-42" },
      ],
    },
    response: {
      status: 200,
      description: "Per-event verdicts",
      schema: IngestResultSchema,
      example: { accepted: 1, rejected: 0, errors: [] },
    },
    errors: [
      "UNAUTHORIZED",
      "FORBIDDEN",
      "INVALID_JSON",
      "BAD_REQUEST",
      "VALIDATION_FAILED",
      "PAYLOAD_TOO_LARGE",
      "UNSUPPORTED_MEDIA_TYPE",
      "UNAVAILABLE",
    ],
  },
  {
    method: "get",
    path: "/api/v1/logs/search",
    tag: "logs",
    auth: "none",
    summary: "Search logs: text, services, levels, time range; newest first, cursor pagination, exact total",
    query: SearchParamsSchema as unknown as z.ZodObject,
    response: {
      status: 200,
      description: "One page",
      schema: z.object({
        total: z.number().int(),
        logs: z.array(LogEventSchema),
        next_cursor: z.string().nullable(),
        took_ms: z.number(),
      }),
    },
    errors: ["BAD_REQUEST", "RATE_LIMITED"],
  },
  {
    method: "get",
    path: "/api/v1/logs/recent",
    tag: "logs",
    auth: "none",
    summary: "The newest logs",
    query: LimitQuery,
    response: {
      status: 200,
      description: "Newest first",
      schema: z.object({ logs: z.array(LogEventSchema), count: z.number().int() }),
    },
    errors: ["BAD_REQUEST", "RATE_LIMITED"],
  },
  {
    method: "get",
    path: "/api/v1/logs/:id",
    tag: "logs",
    auth: "none",
    summary: "One log by id",
    params: { id: "The log's UUIDv7" },
    response: { status: 200, description: "The log", schema: LogEventSchema },
    errors: ["NOT_FOUND", "RATE_LIMITED"],
  },
  {
    method: "get",
    path: "/api/v1/logs/:id/context",
    tag: "logs",
    auth: "none",
    summary: "The lines of the same service just before and after one log (like grep -C), oldest first",
    description:
      "Order is the store's: timestamp, then id. `before` and `after` exclude the log itself; either may be shorter than asked at the ends of the service's history.",
    params: { id: "The log's UUIDv7" },
    query: ContextParamsSchema,
    response: {
      status: 200,
      description: "The log and its neighbours",
      schema: z.object({
        log: LogEventSchema,
        service: z.string(),
        before: z.array(LogEventSchema).describe("oldest first, ending just before the log"),
        after: z.array(LogEventSchema).describe("oldest first, starting just after the log"),
      }),
    },
    errors: ["NOT_FOUND", "BAD_REQUEST", "RATE_LIMITED"],
  },
  {
    method: "post",
    path: "/api/v1/api-keys",
    tag: "api keys",
    auth: "session",
    summary: "Create an API key for a shipper; the key is shown once",
    body: { schema: CreateApiKeySchema, example: { name: "vector on web-1", scopes: ["ingest"] } },
    response: {
      status: 201,
      description: "The key (only now) and its record",
      schema: z.object({ ...ApiKeySchema.shape, key: z.string() }),
    },
    errors: ["UNAUTHORIZED", "FORBIDDEN", "VALIDATION_FAILED", "UNAVAILABLE"],
  },
  {
    method: "get",
    path: "/api/v1/api-keys",
    tag: "api keys",
    auth: "session",
    summary: "Your API keys (admin: ?all=true for everyone's)",
    query: z.object({ all: z.enum(["true", "false"]).optional() }),
    response: {
      status: 200,
      description: "Keys, never the secrets",
      schema: z.object({ api_keys: z.array(ApiKeySchema) }),
    },
    errors: ["UNAUTHORIZED", "FORBIDDEN"],
  },
  {
    method: "delete",
    path: "/api/v1/api-keys/:id",
    tag: "api keys",
    auth: "session",
    summary: "Revoke an API key (yours, or any as admin); another user's key answers 404",
    params: { id: "The key's id" },
    response: { status: 204, description: "Revoked" },
    errors: ["UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "CONFLICT"],
  },
  {
    method: "get",
    path: "/api/v1/cache/stats",
    tag: "cache",
    auth: "none",
    summary: "Response-cache hits, misses and hit rate per key prefix (this process), and the key count",
    response: { status: 200, description: "Cache statistics", schema: z.object({}).loose() },
    errors: ["RATE_LIMITED"],
  },
  {
    method: "delete",
    path: "/api/v1/cache/clear",
    tag: "cache",
    auth: "admin",
    summary: "Delete cached answers matching a pattern (never outside LogFlow's keys)",
    query: ClearParamsSchema,
    response: {
      status: 200,
      description: "How many were deleted",
      schema: z.object({ cleared: z.number(), pattern: z.string() }),
    },
    errors: ["UNAUTHORIZED", "FORBIDDEN", "BAD_REQUEST"],
  },
  {
    method: "get",
    path: "/api/v1/rate-limits/status",
    tag: "rate limits",
    auth: "admin",
    summary: "The limits in force and where they are counted",
    response: { status: 200, description: "Rate-limit status", schema: z.object({}).loose() },
    errors: ["UNAUTHORIZED", "FORBIDDEN"],
  },
  {
    method: "delete",
    path: "/api/v1/rate-limits/reset/:id",
    tag: "rate limits",
    auth: "admin",
    summary: "Give one identifier (a user id, user:<id> or ip:<address>) its allowances back",
    params: { id: "A user id, user:<id> or ip:<address>" },
    response: { status: 200, description: "Reset", schema: z.object({ reset: z.string() }) },
    errors: ["UNAUTHORIZED", "FORBIDDEN", "BAD_REQUEST"],
  },
  {
    method: "delete",
    path: "/api/v1/rate-limits/reset-all",
    tag: "rate limits",
    auth: "admin",
    summary: "Give everyone their allowances back",
    response: { status: 200, description: "Reset", schema: z.object({ reset: z.string() }) },
    errors: ["UNAUTHORIZED", "FORBIDDEN"],
  },
  {
    method: "get",
    path: "/api/v1/trace/context",
    tag: "tracing",
    auth: "none",
    summary: "This request's request id and correlation id",
    response: {
      status: 200,
      description: "Trace context",
      schema: z.object({ request_id: z.string(), correlation_id: z.string(), timestamp: z.string() }),
    },
    errors: [],
  },
  {
    method: "get",
    path: "/api/v1/trace/debug",
    tag: "tracing",
    auth: "admin",
    summary: "This request as the server saw it, secrets redacted",
    response: { status: 200, description: "Request details", schema: z.object({}).loose() },
    errors: ["UNAUTHORIZED", "FORBIDDEN"],
  },
  {
    method: "post",
    path: "/api/v1/trace/log",
    tag: "tracing",
    auth: "session-or-key",
    summary: "Write a trace event as a log carrying your X-Correlation-ID",
    body: { schema: TraceLogSchema, example: { event: "payment_processed", details: { amount: 99.99 } } },
    response: {
      status: 201,
      description: "Logged",
      schema: z.object({ id: z.string(), correlation_id: z.string(), logged: z.literal(true) }),
    },
    errors: ["UNAUTHORIZED", "FORBIDDEN", "VALIDATION_FAILED", "UNAVAILABLE"],
  },
  {
    method: "get",
    path: "/api/v1/correlation/trace/:correlationId",
    tag: "tracing",
    auth: "none",
    summary: "Every log of a correlation id, oldest first, grouped by service, with the gap between hops",
    params: { correlationId: "The correlation id" },
    query: LimitQuery,
    response: { status: 200, description: "The trace", schema: z.object({}).loose() },
    errors: ["NOT_FOUND", "BAD_REQUEST"],
  },
];
