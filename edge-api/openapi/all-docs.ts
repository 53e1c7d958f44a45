import { ALERT_ROUTE_DOCS } from "../alerts/docs.ts";
import { METRICS_ROUTE_DOCS } from "../metrics/docs.ts";
import { ANOMALY_ROUTE_DOCS } from "./anomaly-docs.ts";
import { CORE_ROUTE_DOCS } from "./core-docs.ts";
import EXAMPLES from "./examples.json" with { type: "json" };
import type { RouteDoc } from "./registry.ts";

/**
 * Real answers captured from a walk through the API (`bun run docs:examples`, see example-flow.ts),
 * by `METHOD /path`. A route's own `response.example` wins over the captured one.
 */
const CAPTURED = EXAMPLES as Record<string, unknown>;

/** Every documented route; tests/api/openapi.test.ts fails when a route of the app is missing here. */
export const ROUTE_DOCS: RouteDoc[] = [
  ...CORE_ROUTE_DOCS,
  ...METRICS_ROUTE_DOCS,
  ...ALERT_ROUTE_DOCS,
  ...ANOMALY_ROUTE_DOCS,
].map((r) => {
  const captured = CAPTURED[`${r.method.toUpperCase()} ${r.path}`];
  return r.response.example === undefined && captured !== undefined && r.response.schema
    ? { ...r, response: { ...r.response, example: captured } }
    : r;
});
