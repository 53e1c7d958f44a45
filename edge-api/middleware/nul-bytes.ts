import type { MiddlewareHandler } from "hono";
import { AppError } from "../../core/errors.ts";
import type { AppEnv } from "../context.ts";

/**
 * A NUL byte (`%00`) in a query or path parameter is a 400 naming the parameter: no store takes one in
 * text (Postgres refuses it), so it can never match anything, and it must not reach a query as a 500.
 * A NUL can only arrive percent-encoded, so every other request costs one substring search.
 */
export function refuseNulBytes(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const raw = c.req.url;
    if (!raw.includes("%00")) return next();
    const url = new URL(raw);
    for (const [name, value] of url.searchParams) {
      if (name.includes("\0") || value.includes("\0")) {
        const shown = name.replaceAll("\0", "\\0");
        throw new AppError("BAD_REQUEST", `${shown}: must not contain a NUL byte (%00)`, {
          errors: [{ field: shown, message: "must not contain a NUL byte (%00)" }],
        });
      }
    }
    if (url.pathname.includes("%00")) {
      // Name the parameter from the route's pattern (`/api/v1/metrics/service/:name`) where one matched.
      const pattern = c.get("endpoint").split("/");
      const segments = url.pathname.split("/");
      const at = segments.findIndex((s) => s.includes("%00"));
      const param = pattern[at]?.startsWith(":") ? pattern[at].slice(1) : "path";
      throw new AppError("BAD_REQUEST", `${param}: must not contain a NUL byte (%00)`, {
        errors: [{ field: param, message: "must not contain a NUL byte (%00)" }],
      });
    }
    await next();
  };
}
