import { describe, expect, test } from "bun:test";
import { pb } from "../../tests/helpers/protobuf-encoder.ts";
import { ProtoError, ProtoReader, ProtoWriter, SHORT_STRING, utf8 } from "./protobuf.ts";

const reader = (bytes: number[]) => new ProtoReader(Uint8Array.from(bytes));

describe("ProtoReader", () => {
  test("varints of every length, int64 negatives, and numbers past 2^53 as exact text", () => {
    for (const n of [0, 1, 127, 128, 300, 2 ** 31, 2 ** 32 - 1])
      expect(reader(pb.varint(n)).varint32()).toBe(n >>> 0);
    for (const n of [0, 1, -1, -300, 2 ** 40, -(2 ** 40), 2 ** 53 - 1, -(2 ** 53)]) {
      expect(reader(pb.varint(n)).int64()).toBe(n);
    }
    expect(reader(pb.varint(2n ** 63n - 1n)).int64()).toBe("9223372036854775807");
    expect(reader(pb.varint(-(2n ** 63n))).int64()).toBe("-9223372036854775808");
    expect(reader(pb.varint(2n ** 53n + 1n)).int64()).toBe("9007199254740993");
    // int32 -1 is ten bytes on the wire; varint32 reads it as its low 32 bits.
    expect(reader(pb.varint(-1)).varint32()).toBe(2 ** 32 - 1);
  });

  test("fixed64, double, strings, bytes", () => {
    const r = reader([
      ...pb.fixed64(1, 1_796_292_700_702_000_123n),
      ...pb.double(2, -0.5),
      ...pb.str(3, "héllo ✓"),
      ...pb.len(4, [0, 1, 2]),
    ]);
    r.tag();
    expect(r.fixed64()).toBe(Number(1_796_292_700_702_000_123n));
    r.tag();
    expect(r.double()).toBe(-0.5);
    r.tag();
    expect(r.string()).toBe("héllo ✓");
    r.tag();
    expect([...r.bytes()]).toEqual([0, 1, 2]);
    expect(r.more()).toBe(false);
  });

  test("nanoseconds as whole milliseconds, exactly, where a double would round up", () => {
    for (const [ns, ms] of [
      [1_796_292_700_442_000_000n, 1_796_292_700_442],
      [1_796_292_700_441_999_999n, 1_796_292_700_441.999],
      [1_796_292_700_441_000_999n, 1_796_292_700_441],
      [2n ** 64n - 1n, 18_446_744_073_709.551],
      [999_999n, 0.999],
    ] as const) {
      const r = reader(pb.fixed64(1, ns));
      r.tag();
      expect(r.fixed64Millis()).toBe(ms);
    }
  });

  test("unknown fields of every wire type are skipped", () => {
    const r = reader([
      ...pb.uint(9, 5),
      ...pb.fixed64(10, 1n),
      ...pb.len(11, [1, 2]),
      ...pb.tag(12, 5),
      1,
      2,
      3,
      4,
      ...pb.str(1, "x"),
    ]);
    let tag = r.tag();
    while (tag >>> 3 !== 1) {
      r.skip(tag & 7);
      tag = r.tag();
    }
    expect(r.string()).toBe("x");
  });

  test("malformed input ends in ProtoError: truncation, lying lengths, long varints, groups, field 0", () => {
    const cases: number[][] = [
      [0x0a], // a tag and nothing
      [0x0a, 0x05, 0x61], // says 5 bytes, 1 remains
      [0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f], // says 4 GiB
      [0x08, ...Array(11).fill(0xff), 0x01], // an 11-byte varint
      [0x0b], // wire type 3: a group
      [0x00, 0x01], // field number 0
      [0x09, 1, 2, 3], // fixed64 cut short
    ];
    for (const bytes of cases) {
      expect(() => {
        const r = reader(bytes);
        while (r.more()) {
          const tag = r.tag();
          if ((tag & 7) === 2) r.string();
          else r.skip(tag & 7);
        }
      }).toThrow(ProtoError);
    }
  });

  test("a field cannot reach past the message it is in", () => {
    // An outer field of 2 bytes whose inner field claims 3.
    const r = reader([...pb.tag(1, 2), 2, ...pb.tag(1, 2), 3, 0x61, 0x62, 0x63]);
    r.tag();
    r.enter();
    r.tag();
    expect(() => r.string()).toThrow("a field says 3 bytes, 0 remain");
  });

  test("invalid UTF-8 becomes U+FFFD, short or long", () => {
    expect(utf8(Uint8Array.from([0x61, 0xff, 0x62]), 0, 3)).toBe("a\uFFFDb");
    const long = Uint8Array.from([...Array(40).fill(0x61), 0xc3]);
    expect(utf8(long, 0, long.length)).toBe(`${"a".repeat(40)}\uFFFD`);
    expect(utf8(Uint8Array.from([0x00, 0x41]), 0, 2)).toBe("\u0000A");
  });

  test("the recent-strings cache never returns another string's text", () => {
    const encode = (text: string) => new TextEncoder().encode(text);
    const decode = (text: string) => {
      const bytes = encode(text);
      return utf8(bytes, 0, bytes.length);
    };
    // 1,000 strings of one length, alike but for bytes in the middle: 256 slots hold them all only
    // by sharing, so slots collide and evict; each pass must still give every string back.
    const same = Array.from({ length: 1_000 }, (_, i) => `k${String(i).padStart(4, "0")}z`);
    for (const order of [same, same, [...same].reverse()]) {
      for (const text of order) expect(decode(text)).toBe(text);
    }
    // The same bytes rewritten in place: the cache holds strings, never a view of the input.
    const buf = encode("service.name");
    expect(utf8(buf, 0, buf.length)).toBe("service.name");
    buf.set(encode("service.nbme"));
    expect(utf8(buf, 0, buf.length)).toBe("service.nbme");
    // A string inside a larger buffer, read at its offset, twice.
    const framed = encode("xxregionyy");
    expect(utf8(framed, 2, 8)).toBe("region");
    expect(utf8(framed, 2, 8)).toBe("region");
    // Non-ASCII stays out of the cache's one-byte-per-char check: valid or not, read twice.
    for (const [bytes, text] of [
      [encode("café"), "café"],
      [Uint8Array.from([0x63, 0x61, 0x66, 0xe9]), "caf\uFFFD"],
      [encode("ñ"), "ñ"],
    ] as const) {
      expect(utf8(bytes, 0, bytes.length)).toBe(text);
      expect(utf8(bytes, 0, bytes.length)).toBe(text);
    }
    // At the limit, past it, and empty.
    for (const text of ["a".repeat(SHORT_STRING), "b".repeat(SHORT_STRING + 1), "c".repeat(100), ""]) {
      expect(decode(text)).toBe(text);
      expect(decode(text)).toBe(text);
    }
  });

  test("repeated fields read through the reader come back equal", () => {
    const keys = ["service.name", "severity", "region", "http.status_code"];
    const bytes = Array.from({ length: 50 }, (_, i) => pb.str(1, keys[i % keys.length]!)).flat();
    const r = reader(bytes);
    for (let i = 0; r.more(); i++) {
      r.tag();
      expect(r.string()).toBe(keys[i % keys.length]!);
    }
  });
});

describe("ProtoWriter", () => {
  test("what it writes, the reader reads", () => {
    const bytes = new ProtoWriter()
      .varint(1, 2 ** 40)
      .string(2, "é")
      .bytes(3, Uint8Array.from([7]))
      .finish();
    const r = new ProtoReader(bytes);
    expect(r.tag()).toBe(8);
    expect(r.int64()).toBe(2 ** 40);
    expect(r.tag()).toBe(18);
    expect(r.string()).toBe("é");
    expect(r.tag()).toBe(26);
    expect([...r.bytes()]).toEqual([7]);
  });
});
