import { describe, expect, test } from "bun:test";
import { gunzipSync } from "node:zlib";
import { compressed, pickEncoding } from "./compress.ts";

const big = JSON.stringify({
  logs: Array.from({ length: 200 }, (_, i) => ({ i, message: "card declined" })),
});

function serve(res: () => Response) {
  return compressed<undefined>(() => res());
}
const get = (accept: string | null) =>
  new Request("http://localhost/api/v1/logs/search", {
    headers: accept ? { "accept-encoding": accept } : {},
  });

describe("choosing an encoding from Accept-Encoding", () => {
  test("our preference among those accepted; q values, * and q=0 as the standard says", () => {
    expect(pickEncoding("gzip, deflate, br, zstd", ["br", "gzip"])).toBe("br");
    expect(pickEncoding("gzip;q=1, br;q=0.5", ["br", "gzip"])).toBe("gzip");
    expect(pickEncoding("br;q=0, *", ["br", "gzip"])).toBe("gzip");
    expect(pickEncoding("identity", ["br", "gzip"])).toBeNull();
    expect(pickEncoding(null, ["br", "gzip"])).toBeNull();
    expect(pickEncoding("*;q=0", ["gzip"])).toBeNull();
  });
});

describe("the API's answers, compressed on the fly", () => {
  test("a JSON answer goes gzip to a client that accepts it, and inflates to the same bytes", async () => {
    const res = await serve(() => Response.json(JSON.parse(big)))(get("gzip, br"), undefined);
    expect(res.headers.get("content-encoding")).toBe("gzip");
    expect(res.headers.get("vary")).toContain("Accept-Encoding");
    const body = new Uint8Array(await res.arrayBuffer());
    expect(body.length).toBeLessThan(big.length / 4);
    expect(gunzipSync(body).toString()).toBe(big);
  });

  test("a client that does not accept gzip gets it as it is (and caches are told it varies)", async () => {
    const res = await serve(() => Response.json(JSON.parse(big)))(get(null), undefined);
    expect(res.headers.get("content-encoding")).toBeNull();
    expect(res.headers.get("vary")).toContain("Accept-Encoding");
    expect(await res.text()).toBe(big);
  });

  test("the live tail's event stream, no-transform answers, small and bodiless ones are left alone", async () => {
    const sse = new Response("data: x\n\n".repeat(500), {
      headers: { "content-type": "text/event-stream", "cache-control": "no-store, no-transform" },
    });
    expect((await serve(() => sse)(get("gzip"), undefined)).headers.get("content-encoding")).toBeNull();
    const noTransform = new Response(big, {
      headers: { "content-type": "application/json", "cache-control": "no-transform" },
    });
    expect(
      (await serve(() => noTransform)(get("gzip"), undefined)).headers.get("content-encoding"),
    ).toBeNull();
    const small = new Response("{}", {
      headers: { "content-type": "application/json", "content-length": "2" },
    });
    expect((await serve(() => small)(get("gzip"), undefined)).headers.get("content-encoding")).toBeNull();
    expect(
      (await serve(() => new Response(null, { status: 204 }))(get("gzip"), undefined)).headers.get(
        "content-encoding",
      ),
    ).toBeNull();
  });
});
