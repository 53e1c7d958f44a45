import { describe, expect, test } from "bun:test";
import { freshService, ingest, suiteApp } from "../helpers/app.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

// 1 MiB of ingest bodies at once in this suite's process.
const t = suiteApp({ INGEST_MAX_BYTES_IN_FLIGHT: String(1024 * 1024) });

describe("INGEST_MAX_BYTES_IN_FLIGHT", () => {
  test("past the bytes in flight, ingest answers 503 with Retry-After before reading; alone, any body passes", async () => {
    const service = freshService();
    // A body still arriving holds its place (no Content-Length: it counts as INGEST_MAX_BODY_BYTES).
    let finish!: () => void;
    let reading!: () => void;
    const beingRead = new Promise<void>((resolve) => {
      reading = resolve;
    });
    const slow = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(`[{"service":"${service}","message":"slow one"}`));
        finish = () => {
          controller.enqueue(new TextEncoder().encode("]"));
          controller.close();
        };
      },
      pull: () => reading(), // the route reads it: past its admission
    });
    const first = t.request("/api/v1/ingest", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${t.adminToken}` },
      body: slow,
      duplex: "half",
    } as RequestInit);
    await beingRead;

    const refused = await ingest(t, [{ service, message: "refused while the slow one runs" }]);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect((await refused.json()).detail).toContain("INGEST_MAX_BYTES_IN_FLIGHT");

    finish();
    expect((await first).status).toBe(200);
    // Its place is given back: the same request now passes, and nothing of the refused one was stored.
    const again = await ingest(t, [{ service, message: "sent again" }]);
    expect(again.status).toBe(200);
    const found = await t.request(`/api/v1/logs/search?service=${service}`);
    const messages = ((await found.json()) as { logs: { message: string }[] }).logs.map((l) => l.message);
    expect(messages.sort()).toEqual(["sent again", "slow one"]);
  });
});
