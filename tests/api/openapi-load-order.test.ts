/**
 * /openapi.json does not depend on which module a process loaded first: zod gives `.openapi()` only to
 * schemas created after @hono/zod-openapi extended it, and here core's event schema exists before any
 * route module is loaded (as in a test run or a tool that loads core first).
 */
import { expect, test } from "bun:test";
import { LogEventInputSchema } from "../../core/log-event.ts";

test("the document is generated when core's schemas were created before the routes were loaded", async () => {
  expect(LogEventInputSchema).toBeDefined();
  const { apiRoutes } = await import("../../edge-api/app.ts");
  const { openApiDocument } = await import("../../edge-api/openapi/document.ts");
  const doc = openApiDocument(apiRoutes()) as { components: { schemas: Record<string, unknown> } };
  expect(doc.components.schemas.LogEventInput).toMatchObject({ type: "object" });
}, 30_000);
