import { describe, expect, test } from "bun:test";
import { deflateSync, gunzipSync, gzipSync } from "node:zlib";
import { CompressionCodecs, CompressionTypes } from "kafkajs";
import { kafkaClient } from "./client.ts";
import { gzipCodec } from "./gzip.ts";

const lines = Buffer.from(
  Array.from({ length: 2000 }, (_, i) =>
    JSON.stringify({ i, service: `svc-${i % 7}`, message: `event ${i}` }),
  ).join("\n"),
);

describe("the gzip codec kafkajs uses", () => {
  test("compresses to standard gzip that any consumer (zlib, Java's GZIPInputStream) reads", async () => {
    const out = await gzipCodec.compress({ buffer: lines });
    expect([out[0], out[1]]).toEqual([0x1f, 0x8b]);
    expect(out.byteLength).toBeLessThan(lines.byteLength / 3);
    expect(gunzipSync(out).equals(lines)).toBe(true);
  });

  test("decompresses other producers' gzip, all members of a multi-member stream, and zlib deflate", async () => {
    expect((await gzipCodec.decompress(gzipSync(lines))).equals(lines)).toBe(true);
    const a = lines.subarray(0, 1000);
    const b = lines.subarray(1000);
    const twoMembers = Buffer.concat([gzipSync(a), gzipSync(b)]);
    expect((await gzipCodec.decompress(twoMembers)).equals(lines)).toBe(true);
    expect((await gzipCodec.decompress(deflateSync(lines))).equals(lines)).toBe(true);
  });

  test("a batch that inflates past the output buffer's size comes back whole", async () => {
    const big = Buffer.alloc(9 * 1024 * 1024, "a"); // ~9 KB compressed: 1,000:1, over the 4 MiB cap
    expect((await gzipCodec.decompress(gzipSync(big))).equals(big)).toBe(true);
  });

  test("corrupt input is an error, not an empty batch", async () => {
    await expect(gzipCodec.decompress(Buffer.from("not gzip at all"))).rejects.toThrow();
    const cut = gzipSync(lines).subarray(0, 200);
    await expect(gzipCodec.decompress(cut)).rejects.toThrow();
  });

  test("every client LogFlow builds uses it", () => {
    kafkaClient({ brokers: ["127.0.0.1:1"], clientId: "codec-test" });
    expect(CompressionCodecs[CompressionTypes.GZIP]()).toBe(gzipCodec);
  });
});
