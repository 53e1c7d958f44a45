/**
 * Time-ordered ids: UUIDv7 (RFC 9562) whose 48-bit time field is the event's own timestamp in
 * milliseconds. Ordering by id follows event time, and the store can find an event's time partition
 * from its id alone (see `timeOfId`).
 *
 * Events of one millisecond keep the order this process minted them in (a stack trace shipped as 20
 * lines must read in order): the 42 bits after the time hold a process-wide counter (RFC 9562 §6.2,
 * method 1, counted across milliseconds rather than reset at each, so that even interleaved timestamps
 * keep arrival order within each millisecond), and the last 32 bits are random so that two processes
 * minting in the same millisecond do not collide. The counter starts at a random value below 2^41,
 * leaving at least 2^41 ids before it wraps.
 */
export function uuidv7(ms: number): string {
  // The low 48 bits of the millisecond, as 12 hex digits (anything not a positive number is 0).
  const t = Number.isFinite(ms) && ms > 0 ? Math.floor(ms) % 2 ** 48 : 0;
  const time = t.toString(16).padStart(12, "0");
  const c = counter;
  counter = (counter + 1) % COUNTER_LIMIT;
  const high12 = Math.floor(c / 2 ** 30); // rand_a
  const low30 = c % 2 ** 30; // the 6 bits beside the variant, then 24 bits of rand_b
  if (poolAt + 4 > POOL.length) {
    crypto.getRandomValues(POOL);
    poolAt = 0;
  }
  const r = poolAt;
  poolAt += 4;
  const p = POOL;
  return (
    `${time.slice(0, 8)}-${time.slice(8)}-7${HEX3[high12]}-${HEX[0x80 | (low30 >>> 24)]!}` +
    `${HEX[(low30 >>> 16) & 0xff]}-${HEX[(low30 >>> 8) & 0xff]}${HEX[low30 & 0xff]}` +
    `${HEX[p[r]!]}${HEX[p[r + 1]!]}${HEX[p[r + 2]!]}${HEX[p[r + 3]!]}`
  );
}

const COUNTER_LIMIT = 2 ** 42;
let counter = Math.floor(Math.random() * 2 ** 41);

/**
 * A UUIDv7 for an event that names itself (an Elasticsearch `_id`, a Loki entry): the time field is the
 * event's millisecond as in `uuidv7`, the 74 other bits a hash of `key`. The same key and time give
 * the same id, so a replayed request is a no-op in a store that is idempotent by id. The hash is not
 * cryptographic: whoever can ingest can make two of their own keys collide, and nothing more.
 */
export function uuidv7Keyed(ms: number, key: string): string {
  const t = Number.isFinite(ms) && ms > 0 ? Math.floor(ms) % 2 ** 48 : 0;
  const time = t.toString(16).padStart(12, "0");
  const [h1, h2, h3] = hash128(key);
  const b = (h: number, shift: number) => HEX[(h >>> shift) & 0xff]!;
  return (
    `${time.slice(0, 8)}-${time.slice(8)}-` +
    `${HEX[0x70 | (h1 & 0x0f)]}${b(h1, 8)}-${HEX[0x80 | ((h1 >>> 16) & 0x3f)]}${b(h1, 24)}-` +
    `${b(h2, 0)}${b(h2, 8)}${b(h2, 16)}${b(h2, 24)}${b(h3, 0)}${b(h3, 8)}`
  );
}

/**
 * Four 32-bit lanes over the text two UTF-16 code units at a time, each lane fed by the one before so
 * that all depend on the whole text, then mixed together with MurmurHash3's finaliser.
 */
export function hash128(text: string): [number, number, number, number] {
  let h1 = 0x6a09e667;
  let h2 = 0xbb67ae85;
  let h3 = 0x3c6ef372;
  let h4 = 0xa54ff53a;
  const n = text.length;
  for (let i = 0; i < n; i += 2) {
    const k = text.charCodeAt(i) | ((i + 1 < n ? text.charCodeAt(i + 1) : 0xffff) << 16);
    h1 = Math.imul(h1 ^ k, 0x9e3779b1);
    h2 = Math.imul(h2 ^ k, 0x85ebca77) ^ (h1 >>> 15);
    h3 = Math.imul(h3 ^ k, 0xc2b2ae3d) ^ (h2 >>> 13);
    h4 = Math.imul(h4 ^ k, 0x27d4eb2f) ^ (h3 >>> 16);
  }
  h1 ^= n;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix32(h1);
  h2 = fmix32(h2);
  h3 = fmix32(h3);
  h4 = fmix32(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

// Ingest mints one id per event: random bytes are drawn from the system 4 KiB at a time and each is
// used once, and bytes become hex through tables (an id cost ~1 µs with a getRandomValues call and
// 16 padStart()s of its own, 0.2 µs this way).
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const HEX3 = Array.from({ length: 4096 }, (_, i) => i.toString(16).padStart(3, "0"));
const POOL = new Uint8Array(4096);
let poolAt = POOL.length;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}

/** The millisecond timestamp carried by a UUIDv7, or null for any other UUID. */
export function timeOfId(id: string): number | null {
  if (!isUuid(id) || id[14] !== "7") return null;
  return Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
