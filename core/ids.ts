/**
 * Time-ordered ids: UUIDv7 (RFC 9562) whose 48-bit time field is the event's own timestamp in
 * milliseconds. Ordering by id follows event time, and the store can find an event's time partition
 * from its id alone (see `timeOfId`).
 */
export function uuidv7(ms: number): string {
  // The low 48 bits of the millisecond, as 12 hex digits (anything not a positive number is 0).
  const t = Number.isFinite(ms) && ms > 0 ? Math.floor(ms) % 2 ** 48 : 0;
  const time = t.toString(16).padStart(12, "0");
  // Ten random bytes: 4 bits after the version, 6 after the variant, and 62 more.
  if (poolAt + 10 > POOL.length) {
    crypto.getRandomValues(POOL);
    poolAt = 0;
  }
  const r = poolAt;
  poolAt += 10;
  const p = POOL;
  return (
    `${time.slice(0, 8)}-${time.slice(8)}-` +
    `${HEX[0x70 | (p[r]! & 0x0f)]}${HEX[p[r + 1]!]}-${HEX[0x80 | (p[r + 2]! & 0x3f)]}${HEX[p[r + 3]!]}-` +
    `${HEX[p[r + 4]!]}${HEX[p[r + 5]!]}${HEX[p[r + 6]!]}${HEX[p[r + 7]!]}${HEX[p[r + 8]!]}${HEX[p[r + 9]!]}`
  );
}

// Ingest mints one id per event: random bytes are drawn from the system 4 KiB at a time and each is
// used once, and bytes become hex through a table (an id cost ~1 µs with a getRandomValues call and
// 16 padStart()s of its own, 0.2 µs this way).
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
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
