/** The prefixes under /api/ where shippers send logs in their own protocols (reverse-proxy friendly). */
export const SHIPPER_PREFIXES = ["/api/v1/es", "/api/v1/otlp", "/api/v1/loki"] as const;

/**
 * Whether a path is a way in for logs (`/api/v1/ingest` and the shipper protocols under /api/): these
 * take INGEST_MAX_BODY_BYTES rather than the API's 1 MiB, and are not rate-limited per request
 * (shippers batch; the body and queue limits protect them). The protocol routes at the root (`/_bulk`,
 * `/v1/logs`, `/loki/api/v1/push`) are outside /api/ and so outside both anyway.
 */
export function isIngestPath(path: string): boolean {
  if (path.startsWith("/api/v1/ingest")) return true;
  for (const prefix of SHIPPER_PREFIXES) {
    if (path === prefix || path.startsWith(`${prefix}/`)) return true;
  }
  return false;
}

/**
 * Whether a route pattern is one of a shipper protocol's (Elasticsearch bulk and its companions, OTLP,
 * Loki push): their contract is the protocol's own, documented in the README's "Shipping logs" rather
 * than in /openapi.json.
 */
export function isShipperRoute(pattern: string): boolean {
  if (/^\/(_|:index\/|v1\/logs$|loki\/)/.test(pattern)) return true;
  return SHIPPER_PREFIXES.some((prefix) => pattern === prefix || pattern.startsWith(`${prefix}/`));
}
