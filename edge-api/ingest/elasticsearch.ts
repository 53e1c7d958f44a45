/**
 * Elasticsearch's bulk API and what its clients call around it, so that shippers with an Elasticsearch
 * output (the official clients, rsyslog's omelasticsearch, Filebeat, Vector, Fluent Bit, Logstash)
 * point at LogFlow unchanged. Served at the root of the API port (some shippers cannot add a path) and
 * under /api/v1/es (behind reverse proxies). Answers are Elasticsearch's shapes, errors included, and
 * every one carries `X-Elastic-Product: Elasticsearch`: the official clients refuse answers without it.
 */
import { type Context, Hono, type MiddlewareHandler, type Next } from "hono";
import { AppError } from "../../core/errors.ts";
import { bulkAnswer, decodeBulk, esErrorBody } from "../../core/ingest/es-bulk.ts";
import type { AppEnv } from "../context.ts";
import { requireIngestAuth } from "./auth.ts";
import { ingestBodyLimit, ingestBytesInFlight, mediaType, readBodyText } from "./body.ts";
import { judgeDecoded, publishJudged } from "./publish.ts";

/** The version LogFlow answers as: clients pick their API by its major (Vector, Beats, Logstash). */
export const ES_COMPAT_VERSION = "8.17.0";
const PRODUCT = { "X-Elastic-Product": "Elasticsearch" };
const BULK_TYPES = new Set([
  "",
  "application/json",
  "application/x-ndjson",
  "application/vnd.elasticsearch+x-ndjson",
  "application/vnd.elasticsearch+json",
]);
const ERROR_TYPES: Partial<Record<string, string>> = {
  UNAUTHORIZED: "security_exception",
  FORBIDDEN: "security_exception",
  PAYLOAD_TOO_LARGE: "content_too_long_exception",
  UNSUPPORTED_MEDIA_TYPE: "media_type_header_exception",
  UNAVAILABLE: "es_rejected_execution_exception",
  NOT_FOUND: "resource_not_found_exception",
};

/** `GET /`: the version document clients read before anything else (and `HEAD /`, their ping). */
export function elasticsearchInfo(c: Context<AppEnv>): Response {
  return c.json(
    {
      name: "logflow",
      cluster_name: "logflow",
      cluster_uuid: "logflow",
      version: {
        number: ES_COMPAT_VERSION,
        build_flavor: "default",
        build_type: "logflow",
        lucene_version: "9.12.0",
        minimum_wire_compatibility_version: "7.17.0",
        minimum_index_compatibility_version: "7.0.0",
      },
      tagline: "You Know, for Search",
    },
    200,
    PRODUCT,
  );
}

/**
 * Whether `GET /` is an Elasticsearch client's (or curl's) rather than a browser's: browsers ask for
 * HTML and get the dashboard.
 */
export function wantsElasticsearch(req: Request): boolean {
  return !(req.headers.get("accept") ?? "").includes("text/html");
}

const SHARDS = { total: 1, successful: 1, failed: 0 };

function health() {
  return {
    cluster_name: "logflow",
    status: "green",
    timed_out: false,
    number_of_nodes: 1,
    number_of_data_nodes: 1,
    active_primary_shards: 1,
    active_shards: 1,
    relocating_shards: 0,
    initializing_shards: 0,
    unassigned_shards: 0,
    delayed_unassigned_shards: 0,
    number_of_pending_tasks: 0,
    number_of_in_flight_fetch: 0,
    task_max_waiting_in_queue_millis: 0,
    active_shards_percent_as_number: 100,
  };
}

const TEMPLATE_WARNING =
  '299 LogFlow "index templates are accepted and stored nowhere: LogFlow maps every document itself"';

/** The Elasticsearch-compatible routes; mounted at `/` and at `/api/v1/es`. */
export function elasticsearchRoutes(opts: { info: boolean }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // Per route, not `use("*")`: mounted at the root, that would reach every route of the app.
  const product: MiddlewareHandler<AppEnv> = async (c, next) => {
    await next();
    c.res.headers.set("X-Elastic-Product", "Elasticsearch");
  };
  type Step = MiddlewareHandler<AppEnv> | ((c: Context<AppEnv>, next: Next) => Response);
  const on =
    (method: "get" | "post" | "put") =>
    (path: string, ...steps: Step[]) =>
      app.on(method.toUpperCase(), path, product, ...(steps as MiddlewareHandler<AppEnv>[]));
  const get = on("get");
  const post = on("post");
  const put = on("put");
  app.onError((err, c) => {
    const e =
      err instanceof AppError
        ? err
        : new AppError(
            "INTERNAL",
            "Something went wrong on our side; the request id identifies it in our logs",
          );
    if (!(err instanceof AppError)) {
      c.get("deps").log?.({
        level: "ERROR",
        msg: "unhandled error",
        error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
        request_id: c.get("requestId"),
      });
    }
    const type = ERROR_TYPES[e.code] ?? (e.status >= 500 ? "exception" : "illegal_argument_exception");
    return c.json(esErrorBody(e.status, type, e.detail), e.status as 400, { ...PRODUCT, ...e.extra.headers });
  });

  // The root's `GET /` is the app's (browsers get the dashboard there); under the prefix it is this.
  if (opts.info) get("/", elasticsearchInfo);

  const bulk = async (c: Context<AppEnv>) => {
    const started = performance.now();
    const deps = c.get("deps");
    const type = mediaType(c.req.raw);
    if (!BULK_TYPES.has(type)) {
      throw new AppError(
        "UNSUPPORTED_MEDIA_TYPE",
        `Content-Type must be application/x-ndjson or application/json, got ${type}`,
      );
    }
    const text = await readBodyText(c.req.raw, deps.settings.INGEST_MAX_BODY_BYTES);
    const index = c.req.param("index");
    const decoded = decodeBulk(text, {
      limits: deps.limits,
      maxEvents: deps.settings.INGEST_MAX_EVENTS,
      ...(index !== undefined ? { index } : {}),
    });
    if (!decoded.ok) throw new AppError(decoded.code, decoded.error);
    const judged = judgeDecoded(
      c,
      decoded.actions.map((a) => a.item),
    );
    try {
      await publishJudged(c, judged);
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== "UNAVAILABLE") throw err;
      // BULK_FULL_QUEUE=request: the whole request fails (503, Retry-After) for shippers that send
      // again only such a request; in Elasticsearch's shape, as the onError above writes it.
      if (deps.settings.BULK_FULL_QUEUE === "request") throw err;
      // Per item, as Elasticsearch answers a full write queue: clients retry exactly the 429 items.
      const notStored = { status: 429, type: "es_rejected_execution_exception", reason: err.detail };
      return c.json(
        bulkAnswer(decoded.actions, judged.outcomes, performance.now() - started, notStored),
        200,
        err.extra.headers,
      );
    }
    return c.json(bulkAnswer(decoded.actions, judged.outcomes, performance.now() - started), 200);
  };
  for (const path of ["/_bulk", "/:index/_bulk"]) {
    post(path, requireIngestAuth(), ingestBytesInFlight, ingestBodyLimit, bulk);
    put(path, requireIngestAuth(), ingestBytesInFlight, ingestBodyLimit, bulk);
  }

  get("/_cluster/health", (c) => c.json(health()));
  get("/_cluster/health/:index", (c) => c.json(health()));
  get("/_cat/health", (c) => {
    const h = health();
    const epoch = Math.floor((c.get("deps").now?.() ?? Date.now()) / 1000);
    const time = new Date(epoch * 1000).toISOString().slice(11, 19);
    const row = {
      epoch: String(epoch),
      timestamp: time,
      cluster: h.cluster_name,
      status: h.status,
      "node.total": "1",
      "node.data": "1",
      shards: "1",
      pri: "1",
      relo: "0",
      init: "0",
      unassign: "0",
      pending_tasks: "0",
      max_task_wait_time: "-",
      active_shards_percent: "100.0%",
    };
    if (c.req.query("format") === "json") return c.json([row]);
    const values = Object.values(row).join(" ");
    return c.text(
      c.req.query("v") !== undefined ? `${Object.keys(row).join(" ")}\n${values}\n` : `${values}\n`,
    );
  });

  // Index templates: shippers install theirs at start; LogFlow maps documents itself, so a template
  // is acknowledged and kept nowhere (a Warning header says so), and none is ever found.
  for (const kind of ["_index_template", "_template"]) {
    get(`/${kind}/:name`, (c) => {
      const name = c.req.param("name");
      const reason = `index template matching [${name}] not found: LogFlow keeps no index templates`;
      return c.json(esErrorBody(404, "resource_not_found_exception", reason), 404);
    });
    put(`/${kind}/:name`, requireIngestAuth(), (c) =>
      c.json({ acknowledged: true }, 200, { Warning: TEMPLATE_WARNING }),
    );
    post(`/${kind}/:name`, requireIngestAuth(), (c) =>
      c.json({ acknowledged: true }, 200, { Warning: TEMPLATE_WARNING }),
    );
  }

  // Every write is searchable once acknowledged: a refresh has nothing to do.
  const refresh = (c: Context<AppEnv>) => c.json({ _shards: SHARDS });
  for (const path of ["/_refresh", "/:index/_refresh"]) {
    post(path, refresh);
    get(path, refresh);
  }

  // Sniffing clients: this node, at the address they reached it by.
  get("/_nodes/http", (c) => {
    const host = c.req.header("host") ?? "localhost:8000";
    return c.json({
      _nodes: { total: 1, successful: 1, failed: 0 },
      cluster_name: "logflow",
      nodes: {
        logflow: {
          name: "logflow",
          version: ES_COMPAT_VERSION,
          roles: ["data", "ingest", "master"],
          http: {
            bound_address: [host],
            publish_address: host,
            max_content_length_in_bytes: c.get("deps").settings.INGEST_MAX_BODY_BYTES,
          },
        },
      },
    });
  });
  return app;
}
