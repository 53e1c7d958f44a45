import { beforeAll, describe, expect, test } from "bun:test";
import { freshService, ingest, suiteApp } from "../helpers/app.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

const t = suiteApp();
const many = freshService("export");
const odd = freshService("export-odd");
const now = Date.now();

beforeAll(async () => {
  // 5,000 matches: five times the largest search page.
  for (let batch = 0; batch < 5; batch++) {
    const events = Array.from({ length: 1000 }, (_, k) => {
      const i = batch * 1000 + k;
      return {
        service: many,
        level: i % 5 ? "INFO" : "ERROR",
        message: `line ${i}`,
        timestamp: now - i * 100,
      };
    });
    const res = await ingest(t, events);
    expect(res.status).toBe(200);
  }
  const res = await ingest(t, [
    { service: odd, message: 'said "no", then\nleft', timestamp: now - 1000, attributes: { k: 1 } },
    { service: odd, message: "=HYPERLINK(1)", timestamp: now - 2000 },
  ]);
  expect(res.status).toBe(200);
}, 120_000);

const get = (query: string) =>
  t.request(`/api/v1/logs/export?${query}`, { headers: { authorization: `Bearer ${t.adminToken}` } });

describe("GET /api/v1/logs/export", () => {
  test("every match of a 5,000-match query, newest first, each once, not one page of it", async () => {
    const res = await get(`service=${many}&format=ndjson`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/x-ndjson");
    expect(res.headers.get("x-export-total")).toBe("5000");
    expect(res.headers.get("x-export-truncated")).toBe("false");
    expect(res.headers.get("content-disposition")).toMatch(/attachment; filename="logflow-.*\.ndjson"/);
    const lines = (await res.text()).trimEnd().split("\n");
    expect(lines).toHaveLength(5000);
    const events = lines.map((l) => JSON.parse(l) as { id: string; message: string });
    expect(new Set(events.map((e) => e.id)).size).toBe(5000);
    expect(events[0]!.message).toBe("line 0");
    expect(events[4999]!.message).toBe("line 4999");
  });

  test("the search's filters apply: query and level", async () => {
    const res = await get(`service=${many}&level=ERROR&query=${encodeURIComponent("line")}&format=csv`);
    expect(res.headers.get("x-export-total")).toBe("1000");
    const rows = (await res.text()).split("\r\n").filter(Boolean);
    expect(rows[0]).toStartWith("timestamp,level,service,message");
    expect(rows).toHaveLength(1001);
    expect(rows.slice(1).every((r) => r.split(",")[1] === "ERROR")).toBe(true);
  });

  test("CSV quotes commas, quotes and newlines, keeps attributes as JSON, and defuses spreadsheet formulas", async () => {
    const csv = await (await get(`service=${odd}&format=csv`)).text();
    expect(csv.split("\r\n")[0]).toBe(
      "timestamp,level,service,message,host,correlation_id,request_id,trace_id,span_id,id,attributes",
    );
    expect(csv).toContain('"said ""no"", then\nleft"');
    expect(csv).toContain(`"{""k"":1}"`);
    expect(csv).toContain("'=HYPERLINK(1)");
  });

  test("past the limit the file stops and says so in its last line and in the headers", async () => {
    const res = await get(`service=${many}&format=csv&limit=1500`);
    expect(res.headers.get("x-export-truncated")).toBe("true");
    const rows = (await res.text()).split("\r\n").filter(Boolean);
    expect(rows).toHaveLength(1 + 1500 + 1);
    expect(rows[rows.length - 1]).toBe(
      "# truncated: 1500 of 5000 matching lines exported (the export's limit is 1500); narrow the query or the time range for the rest",
    );
    const nd = (await (await get(`service=${many}&limit=10`)).text()).trimEnd().split("\n");
    expect(nd).toHaveLength(11);
    expect(JSON.parse(nd[10]!)).toEqual({ truncated: true, exported: 10, total: 5000, limit: 10 });
  });

  test("a format, limit or query it cannot use is a 400 naming it", async () => {
    for (const [query, field] of [
      ["format=xlsx", "format"],
      ["limit=100001", "limit"],
      ["limit=0", "limit"],
      ["query=latency_ms:>abc", "query"],
    ]) {
      const res = await get(query!);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { errors: { field: string }[] };
      expect(body.errors.map((e) => e.field)).toContain(field!);
    }
  });
});
