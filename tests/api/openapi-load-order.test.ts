/**
 * /openapi.json does not depend on which module a process loaded first: zod gives `.openapi()` only to
 * schemas created after @hono/zod-openapi extended it, and here core's event schema exists before any
 * route module is loaded (as in a test run or a tool that loads core first).
 */
import { expect, test } from "bun:test";
import { LogEventInputSchema } from "../../core/log-event.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

test("the document is generated when core's schemas were created before the routes were loaded", async () => {
  expect(LogEventInputSchema).toBeDefined();
  const { startTestApp } = await import("../helpers/app.ts");
  const t = await startTestApp();
  try {
    const res = await t.request("/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { components: { schemas: Record<string, unknown> } };
    expect(doc.components.schemas.LogEventInput).toMatchObject({ type: "object" });
  } finally {
    await t.close();
  }
});
