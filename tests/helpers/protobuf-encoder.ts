/** Builds protobuf messages field by field, for tests of the hand-written decoders. */
export const pb = {
  varint(n: number | bigint): number[] {
    let v = BigInt.asUintN(64, BigInt(n));
    const out: number[] = [];
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    return out;
  },
  tag: (field: number, wire: number) => pb.varint((field << 3) | wire),
  len: (field: number, bytes: number[]) => [...pb.tag(field, 2), ...pb.varint(bytes.length), ...bytes],
  str: (field: number, s: string) => pb.len(field, [...new TextEncoder().encode(s)]),
  uint: (field: number, n: number | bigint) => [...pb.tag(field, 0), ...pb.varint(n)],
  fixed64(field: number, n: bigint): number[] {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, n, true);
    return [...pb.tag(field, 1), ...b];
  },
  double(field: number, x: number): number[] {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, x, true);
    return [...pb.tag(field, 1), ...b];
  },
};
