import { describe, expect, test } from "bun:test";
import { createApp } from "../../edge-api/app.ts";
import type { AppDeps } from "../../edge-api/context.ts";
import { suiteApp } from "../helpers/app.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

const t = suiteApp();

/** The suite's app with a database that never answers, and `queued` events waiting to be written. */
function stalledDatabase(queued: number) {
  const deps: AppDeps = t.runtime.deps;
  return createApp({
    ...deps,
    queue: { ...deps.queue, lag: () => queued, publish: deps.queue.publish.bind(deps.queue) },
    health: [{ name: "database", required: true, check: () => new Promise(() => {}) }],
  });
}

describe("liveness and readiness", () => {
  test("/health/live answers from the process alone, even with every dependency down", async () => {
    const res = await stalledDatabase(0).request("/health/live");
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe("alive");
  });

  test("a database that answers late while writes are queued is busy: readiness stays 200, degraded", async () => {
    for (const path of ["/health", "/health/ready"]) {
      const res = await stalledDatabase(5000).request(path);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { status: string; details: Record<string, string> };
      expect(body.status).toBe("degraded");
      expect(body.details.database).toContain("busy: 5000 events queued");
    }
  });

  test("the same silence with nothing queued is an outage: 503", async () => {
    for (const path of ["/health", "/health/ready"]) {
      const res = await stalledDatabase(0).request(path);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { status: string }).status).toBe("unhealthy");
    }
  });

  test("during concurrent 10 MB ingests on the embedded database, /health answers 200", async () => {
    const line = JSON.stringify({ service: "bulk-health", level: "INFO", message: "x".repeat(900) });
    const body = `[${Array.from({ length: 10_000 }, () => line).join(",")}]`; // ≈ 10 MB
    const ingests = Array.from({ length: 4 }, () =>
      t.request("/api/v1/ingest", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${t.adminToken}` },
        body,
      }),
    );
    const answers: number[] = [];
    let done = false;
    const all = Promise.all(ingests).finally(() => {
      done = true;
    });
    while (!done) {
      answers.push((await t.request("/health")).status);
      await Bun.sleep(20);
    }
    expect((await all).map((r) => r.status)).toEqual(Array(4).fill(200));
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.filter((s) => s !== 200)).toEqual([]);
  }, 120_000);
});
