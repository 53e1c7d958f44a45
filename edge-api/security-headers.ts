/**
 * The security headers of every response, decided by what the response is.
 *
 * API answers (JSON, problem+json, Prometheus text) are read by programs, never rendered: they get the
 * set OWASP's REST Security Cheat Sheet recommends for APIs. No sniffing a JSON answer into HTML, no
 * framing, no content loaded on its behalf (`default-src 'none'`), HTTPS only, and no copy kept by a
 * browser or a shared proxy (`no-store`: answers are per user and tokens ride on them).
 *
 * Documents (the dashboard, its assets, the API reference page) keep the browser set of Hono's
 * `secureHeaders` defaults: the headers that only mean something to a page (opener policy, referrer,
 * DNS prefetch, agent clustering, legacy IE and Flash switches) are sent only where a page can read them.
 * Each header costs every response time to build, send and parse, so an API answer sends 5 of them, not 10.
 */
export type HeaderList = readonly (readonly [name: string, value: string])[];

const HSTS = ["Strict-Transport-Security", "max-age=15552000; includeSubDomains"] as const;
const NOSNIFF = ["X-Content-Type-Options", "nosniff"] as const;

export const API_SECURITY_HEADERS: HeaderList = [
  NOSNIFF,
  HSTS,
  ["X-Frame-Options", "DENY"],
  ["Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"],
  ["Cache-Control", "no-store"],
];

export const DOCUMENT_SECURITY_HEADERS: HeaderList = [
  ["Cross-Origin-Opener-Policy", "same-origin"],
  ["Origin-Agent-Cluster", "?1"],
  ["Referrer-Policy", "no-referrer"],
  HSTS,
  NOSNIFF,
  ["X-DNS-Prefetch-Control", "off"],
  ["X-Download-Options", "noopen"],
  ["X-Frame-Options", "SAMEORIGIN"],
  ["X-Permitted-Cross-Domain-Policies", "none"],
  ["X-XSS-Protection", "0"],
];

/** Paths that answer programs: the API, the probes and the machine-readable API description. */
export function isApiPath(path: string): boolean {
  return path.startsWith("/api/") || path === "/health" || path === "/metrics" || path === "/openapi.json";
}

export function securityHeadersFor(path: string): HeaderList {
  return isApiPath(path) ? API_SECURITY_HEADERS : DOCUMENT_SECURITY_HEADERS;
}
