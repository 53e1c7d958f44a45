import type { Sql } from "postgres";

/**
 * A postgres.js client made on first use: `make()` runs when a query (or any other use) first needs
 * it, and `end()` of a client never made does nothing. For runtimes that build a client per request
 * (Workers): a request that never reads the database (a cached answer, a 401, a 404) no longer pays for
 * making and closing one, most of what such a request cost.
 */
export function lazySql(make: () => Sql): Sql {
  let real: Sql | undefined;
  const get = () => {
    real ??= make();
    return real;
  };
  const end = async (opts?: { timeout?: number }) => {
    if (real) await real.end(opts);
  };
  // A function target, so that the proxy can be called as sql`…` like the client itself.
  return new Proxy(function lazy() {} as unknown as Sql, {
    apply: (_target, _this, args: unknown[]) => (get() as unknown as (...a: unknown[]) => unknown)(...args),
    get: (_target, prop) => {
      if (prop === "end") return end;
      const value = (get() as unknown as Record<PropertyKey, unknown>)[prop];
      return value;
    },
  });
}
