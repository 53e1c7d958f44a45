import { ALERT_ROUTE_DOCS } from "../alerts/docs.ts";
import { METRICS_ROUTE_DOCS } from "../metrics/docs.ts";
import { ANOMALY_ROUTE_DOCS } from "./anomaly-docs.ts";
import { CORE_ROUTE_DOCS } from "./core-docs.ts";
import type { RouteDoc } from "./registry.ts";

/** Every documented route; tests/api/openapi.test.ts fails when a route of the app is missing here. */
export const ROUTE_DOCS: RouteDoc[] = [
  ...CORE_ROUTE_DOCS,
  ...METRICS_ROUTE_DOCS,
  ...ALERT_ROUTE_DOCS,
  ...ANOMALY_ROUTE_DOCS,
];
