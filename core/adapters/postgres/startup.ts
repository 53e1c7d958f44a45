import postgres from "postgres";
import {
  EX_CONFIG,
  EX_UNAVAILABLE,
  oneLine,
  StartupError,
  type Verdict,
  type WaitOptions,
  waitFor,
} from "../../startup.ts";
import { isPostgresOutage } from "./outage.ts";

/** Where a postgres:// URL points, without its password (messages and logs must never show it). */
export function describePostgresUrl(url: string): { where: string; user: string; database: string } {
  try {
    const u = new URL(url);
    const user = decodeURIComponent(u.username) || "postgres";
    const database = decodeURIComponent(u.pathname.slice(1)) || user;
    return { where: `${u.hostname || "localhost"}:${u.port || "5432"}`, user, database };
  } catch {
    return { where: "(unparsable URL)", user: "?", database: "?" };
  }
}

/**
 * What a failed connection to DATABASE_URL means. A server that is away, starting or full is waited
 * for; a database, role or password it refuses is a setting to fix (SQLSTATEs 3D000, 28000, 28P01).
 */
export function postgresStartupVerdict(url: string, err: unknown): Verdict {
  const { where, user, database } = describePostgresUrl(url);
  const code = (err as { code?: unknown } | null)?.code;
  const config = (line: string): Verdict => ({
    retry: false,
    error: new StartupError(EX_CONFIG, `DATABASE_URL: ${line}`),
  });
  if (code === "3D000")
    return config(
      `database "${database}" does not exist on ${where}; create it (createdb -h ${where.replace(/:.*/, "")} -U ${user} ${database}) or correct the database name in the URL`,
    );
  if (code === "28P01")
    return config(
      `password authentication failed for user "${user}" on ${where}; check the password in the URL`,
    );
  if (code === "28000")
    return config(
      `${where} refused user "${user}" (${oneLine(err)}); check the user name in the URL and that the server's pg_hba.conf lets it connect from here`,
    );
  if (isPostgresOutage(err)) return { retry: true, reason: oneLine(err) };
  return config(`cannot use the database "${database}" on ${where}: ${oneLine(err)}`);
}

/**
 * Wait until the Postgres server at `url` accepts a connection to its database, for at most
 * `o.waitMs`. Throws StartupError: EX_CONFIG for a database, role or password it refuses,
 * EX_UNAVAILABLE when it never answered. Each try uses a client of its own, closed after it.
 */
export function waitForPostgres(url: string, o: WaitOptions): Promise<void> {
  const { where } = describePostgresUrl(url);
  return waitFor(
    `Postgres at ${where}`,
    async () => {
      const sql = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {} });
      try {
        await sql`select 1`;
      } finally {
        await sql.end({ timeout: 1 }).catch(() => {});
      }
    },
    (err) => postgresStartupVerdict(url, err),
    (reason, waited) =>
      new StartupError(
        EX_UNAVAILABLE,
        `DATABASE_URL: no Postgres answered at ${where} within ${waited} s (${reason}); check that the server is running and the URL's host and port (STARTUP_WAIT_SECONDS sets the wait)`,
      ),
    o,
  );
}
