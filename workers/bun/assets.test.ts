import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliDecompressSync } from "node:zlib";
import { precompress } from "../../web/precompress.ts";
import { staticAssets } from "./assets.ts";

const root = mkdtempSync(join(tmpdir(), "logflow-assets-"));
const dist = join(root, "dist");
mkdirSync(join(dist, "assets"), { recursive: true });
mkdirSync(join(root, "dist-private"), { recursive: true });
writeFileSync(join(dist, "index.html"), "<!doctype html><title>LogFlow</title>");
writeFileSync(join(dist, "assets", "app-1a2b.js"), "console.log(1)");
const bundle = `export const words = ${JSON.stringify(Array.from({ length: 500 }, (_, i) => `word${i % 50}`))};`;
writeFileSync(join(dist, "assets", "page-9f8e.js"), bundle);
const packed = precompress(dist);
writeFileSync(join(root, "dist-private", "secret.txt"), "not for the web");
const serve = staticAssets(dist);
const get = (path: string, acceptEncoding?: string) =>
  serve(
    new Request(`http://localhost${path}`, {
      headers: acceptEncoding ? { "accept-encoding": acceptEncoding } : {},
    }),
  );

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("the dashboard's static files", () => {
  test("pages are index.html with a strict Content-Security-Policy; client routes survive a reload", async () => {
    for (const path of ["/", "/explore", "/alerts/rules/7"]) {
      const res = await get(path);
      expect(await res?.text()).toContain("<title>LogFlow</title>");
      const csp = res?.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("script-src 'unsafe-inline'");
    }
  });

  test("hashed assets are cached for good; unknown files are not answered", async () => {
    const res = await get("/assets/app-1a2b.js");
    expect(res?.headers.get("cache-control")).toContain("immutable");
    expect(await get("/assets/missing.js")).toBeNull();
  });

  test("built text files are sent as their brotli or gzip copy when the browser accepts one", async () => {
    expect(packed.files).toBeGreaterThanOrEqual(2);
    const br = await get("/assets/page-9f8e.js", "gzip, deflate, br");
    expect(br?.headers.get("content-encoding")).toBe("br");
    expect(br?.headers.get("content-type")).toContain("javascript");
    expect(br?.headers.get("vary")).toBe("Accept-Encoding");
    expect(br?.headers.get("cache-control")).toContain("immutable");
    const bytes = new Uint8Array(await br!.arrayBuffer());
    expect(bytes.length).toBeLessThan(bundle.length / 4);
    expect(brotliDecompressSync(bytes).toString()).toBe(bundle);
    const gz = await get("/assets/page-9f8e.js", "gzip");
    expect(gz?.headers.get("content-encoding")).toBe("gzip");
    const plain = await get("/assets/page-9f8e.js");
    expect(plain?.headers.get("content-encoding")).toBeNull();
    expect(await plain?.text()).toBe(bundle);
  });

  test("nothing outside the directory is served: encoded ../ into a sibling, malformed escapes", async () => {
    expect(await get("/..%2Fdist-private%2Fsecret.txt")).toBeNull();
    expect(await get("/..%2F..%2Fetc%2Fpasswd")).toBeNull();
    expect(await get("/%E0%A4%A")).toBeNull();
  });
});
