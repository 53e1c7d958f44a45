/**
 * A template's id: 64 bits of a hash of its service and the masked tokens of the line that created it,
 * as 16 hex digits. The same first line gives the same id in every process and after every restart,
 * so independent miners agree without talking wherever their templates start alike; where they do not,
 * reconciliation (PatternMiner.absorb) makes the smaller id the one both keep.
 */
export function patternId(service: string, tokens: readonly string[]): string {
  const text = `${service}\n${tokens.join(" ")}`;
  // Two 32-bit lanes (FNV-1a and a multiply-rotate mix), each finished with murmur3's avalanche step.
  let a = 0x811c9dc5;
  let b = 0x9747b28c ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b = (b << 13) | (b >>> 19);
  }
  return hex(avalanche(a ^ Math.imul(b, 0x27d4eb2d))) + hex(avalanche(b ^ a));
}

function avalanche(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hex(n: number): string {
  return n.toString(16).padStart(8, "0");
}
