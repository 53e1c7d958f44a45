/**
 * postgres.js's codes for a connection that closed, ended or never opened, the system's, and the
 * runtime's for a write to a connection's socket that has closed. postgres.js hands a COPY writer the
 * error of its write to the socket as it is: under Bun, a COPY chunk waiting to go out when the socket
 * is closed fails with ERR_SOCKET_CLOSED ("Socket is closed"), one written after it closed with
 * ERR_STREAM_DESTROYED ("Cannot call write after a stream was destroyed"); Node has the same codes.
 */
const CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ERR_SOCKET_CLOSED",
  "ERR_STREAM_DESTROYED",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * SQLSTATEs of a server that cannot serve now, rather than of a statement it will never take
 * (https://www.postgresql.org/docs/current/errcodes-appendix.html).
 */
const UNAVAILABLE_STATES = new Set([
  "55000", // the database is not accepting connections (ALTER DATABASE … ALLOW_CONNECTIONS false)
  "55P03", // lock_not_available
  "57014", // query_canceled (statement_timeout)
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, or in recovery)
  "40001", // serialization_failure
  "40P01", // deadlock_detected
  "25006", // read_only_sql_transaction (a standby after a failover)
  "58000", // system_error
  "58030", // io_error
]);

/**
 * Whether a postgres.js error means the database is unavailable for now (unreachable, shutting down,
 * overloaded, out of space), so the same statement is worth running again later. False for everything
 * else: a statement the server refuses for good (a missing column, a constraint) is a fault.
 */
export function isPostgresOutage(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== "string") return false;
  if (CONNECTION_CODES.has(code)) return true;
  // A Unix socket (the embedded database's) that is gone or not reachable: its thread is restarting,
  // or its directory's permissions were taken away.
  if ((code === "ENOENT" || code === "EACCES") && (err as { syscall?: unknown }).syscall === "connect")
    return true;
  // Connection exceptions (08…) and insufficient resources (53…: disk full, out of memory, too many connections).
  if (/^(08|53)[0-9A-Z]{3}$/.test(code)) return true;
  return UNAVAILABLE_STATES.has(code);
}
