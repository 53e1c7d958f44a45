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
