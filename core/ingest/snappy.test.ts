import { describe, expect, test } from "bun:test";
import { compressSync } from "snappy";
import { seededRandom } from "../anomaly/isolation-forest.ts";
import { SnappyError, snappyUncompress } from "./snappy.ts";

const MAX = 64 * 1024 * 1024;

/** Deterministic bytes: runs, repeats at every distance, and noise, so every element kind appears. */
function sample(size: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  const random = seededRandom(seed);
  for (let i = 0; i < size; ) {
    const mode = Math.floor(random() * 3);
    const n = 1 + Math.floor(random() * 300);
    for (let k = 0; k < n && i < size; k++, i++) {
      if (mode === 0) out[i] = Math.floor(random() * 256);
      else if (mode === 1) out[i] = 97 + (k % 7);
      else out[i] = i > 70_000 ? out[i - 70_000]! : k % 2; // far copies (4-byte offsets)
    }
  }
  return out;
}

describe("snappyUncompress", () => {
  test("reads what the reference implementation (Google's, through the snappy package) writes", () => {
    for (const [size, seed] of [
      [0, 1],
      [1, 2],
      [59, 3],
      [61, 4],
      [300, 5],
      [70_000, 6],
      [1_000_000, 7],
    ] as const) {
      const data = sample(size, seed);
      const compressed = new Uint8Array(compressSync(Buffer.from(data)));
      expect(snappyUncompress(compressed, MAX)).toEqual(data);
    }
    const text = new TextEncoder().encode('{"level":"info","msg":"request served"}\n'.repeat(5_000));
    expect(snappyUncompress(new Uint8Array(compressSync(Buffer.from(text))), MAX)).toEqual(text);
  });

  test("an overlapping copy repeats its bytes (run-length)", () => {
    // length 10; literal "ab"; copy of 8 at offset 2 (1-byte-offset form: n = 4 + 4).
    const block = Uint8Array.from([10, (1 << 2) | 0, 0x61, 0x62, (4 << 2) | 1, 2]);
    expect(new TextDecoder().decode(snappyUncompress(block, MAX))).toBe("ababababab");
  });

  test("refuses what it is told is larger than allowed, before allocating it", () => {
    const bomb = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f]); // says 4 GiB
    expect(() => snappyUncompress(bomb, MAX)).toThrow("inflates to 4294967295 bytes");
    const fine = new Uint8Array(compressSync(Buffer.alloc(1000)));
    expect(() => snappyUncompress(fine, 999)).toThrow(SnappyError);
  });

  test("malformed blocks are SnappyErrors: truncated, lying lengths, copies before the start", () => {
    const good = new Uint8Array(compressSync(Buffer.from(sample(5_000, 9))));
    for (let n = 0; n < good.length; n++) {
      expect(() => snappyUncompress(good.subarray(0, n), MAX)).toThrow(SnappyError);
    }
    for (const bad of [
      [5, 0x10, 0x61], // a literal of 5 with 1 byte of data
      [4, (3 << 2) | 1, 1], // a copy with nothing before it
      [2, 0, 0x61, (0 << 2) | 1, 0], // offset 0
      [3, 0, 0x61, (4 << 2) | 1, 1], // copy of 8 into 2 remaining
      [0x80], // length cut
      [1, 0xf0 | 0], // a literal whose 1-byte length is missing
      [10, (1 << 2) | 0, 0x61, 0x62], // data shorter than declared
    ]) {
      expect(() => snappyUncompress(Uint8Array.from(bad), MAX)).toThrow(SnappyError);
    }
  });

  test("random corruptions of real data decode or fail with SnappyError, nothing else", () => {
    const good = new Uint8Array(compressSync(Buffer.from(sample(20_000, 11))));
    const random = seededRandom(3);
    for (let i = 0; i < 2_000; i++) {
      const bad = good.slice();
      for (let k = 0; k < 2; k++) bad[Math.floor(random() * bad.length)] = Math.floor(random() * 256);
      try {
        expect(snappyUncompress(bad, MAX).length).toBeLessThanOrEqual(MAX);
      } catch (err) {
        expect(err).toBeInstanceOf(SnappyError);
      }
    }
  });
});
