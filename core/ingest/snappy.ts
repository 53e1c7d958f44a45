/**
 * Snappy's block format (what Loki and Prometheus clients send, without the framing of the stream
 * format), decompressed by hand: the format is one varint and four kinds of element, and the
 * maintained packages are either native (not on Workers) or bring more than the 60 lines it takes.
 * Bounded: the declared length is checked against `maxBytes` before anything is allocated, and every
 * literal and copy against what the input holds and what the output has room for.
 */

export class SnappyError extends Error {}

/** Decompress one snappy block; a malformed or oversized one is a SnappyError. */
export function snappyUncompress(input: Uint8Array, maxBytes: number): Uint8Array<ArrayBuffer> {
  let pos = 0;
  let length = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= input.length) throw new SnappyError("snappy data ends inside its length");
    if (shift > 28) throw new SnappyError("snappy length longer than 32 bits");
    const b = input[pos++]!;
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  if (length > maxBytes) {
    throw new SnappyError(`snappy data inflates to ${length} bytes, more than ${maxBytes}`);
  }
  const out = new Uint8Array(length);
  let at = 0;
  while (pos < input.length) {
    const tag = input[pos++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let n = tag >>> 2;
      if (n >= 60) {
        const bytes = n - 59;
        if (pos + bytes > input.length) throw new SnappyError("snappy data ends inside a literal's length");
        n = 0;
        for (let i = 0; i < bytes; i++) n += input[pos + i]! * 2 ** (8 * i);
        pos += bytes;
      }
      n += 1;
      if (pos + n > input.length) throw new SnappyError("snappy literal runs past the data");
      if (at + n > length) throw new SnappyError("snappy literal runs past the declared length");
      out.set(input.subarray(pos, pos + n), at);
      pos += n;
      at += n;
      continue;
    }
    let n: number;
    let offset: number;
    if (kind === 1) {
      if (pos >= input.length) throw new SnappyError("snappy data ends inside a copy");
      n = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | input[pos++]!;
    } else if (kind === 2) {
      if (pos + 2 > input.length) throw new SnappyError("snappy data ends inside a copy");
      n = (tag >>> 2) + 1;
      offset = input[pos]! | (input[pos + 1]! << 8);
      pos += 2;
    } else {
      if (pos + 4 > input.length) throw new SnappyError("snappy data ends inside a copy");
      n = (tag >>> 2) + 1;
      offset = (input[pos]! | (input[pos + 1]! << 8) | (input[pos + 2]! << 16)) + input[pos + 3]! * 2 ** 24;
      pos += 4;
    }
    if (offset === 0 || offset > at) throw new SnappyError("snappy copy reaches before the start");
    if (at + n > length) throw new SnappyError("snappy copy runs past the declared length");
    if (offset >= n) out.copyWithin(at, at - offset, at - offset + n);
    else for (let i = 0; i < n; i++) out[at + i] = out[at + i - offset]!; // overlapping: a repeat
    at += n;
  }
  if (at !== length) throw new SnappyError(`snappy data holds ${at} bytes, its header says ${length}`);
  return out;
}
