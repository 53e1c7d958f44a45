import { describe, expect, test } from "bun:test";
import { suiteApp } from "../helpers/app.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

const t = suiteApp();

describe("a NUL byte in a query or path parameter", () => {
  test("is a 400 naming the parameter, on every route that takes one", async () => {
    const cases: [string, string][] = [
      ["/api/v1/logs/search?service=a%00b", "service"],
      ["/api/v1/logs/search?correlation_id=x%00", "correlation_id"],
      ["/api/v1/logs/search?query=%00", "query"],
      ["/api/v1/logs/recent?service=%00", "service"],
      ["/api/v1/correlation/trace/a%00b", "correlationId"],
      ["/api/v1/metrics/service/a%00b", "name"],
      ["/api/v1/anomaly/detect/error-rate?service=a%00b", "service"],
      ["/api/v1/logs/00000000-0000-7000-8000-00000000000%00", "id"],
    ];
    for (const [path, param] of cases) {
      const res = await t.request(path, { headers: { authorization: `Bearer ${t.adminToken}` } });
      const body = (await res.json()) as { detail: string; errors?: { field: string; message: string }[] };
      expect({ path, status: res.status, detail: body.detail }).toEqual({
        path,
        status: 400,
        detail: `${param}: must not contain a NUL byte (%00)`,
      });
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      expect(body.errors).toEqual([{ field: param, message: "must not contain a NUL byte (%00)" }]);
    }
  });

  test("an encoded percent sign followed by zeros is not a NUL", async () => {
    const res = await t.request("/api/v1/logs/search?query=100%2500");
    expect(res.status).toBe(200);
  });
});
