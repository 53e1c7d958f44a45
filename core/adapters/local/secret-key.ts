import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** The file in LOGFLOW_DATA_DIR that keeps the generated signing key (backed up with the database). */
export const SECRET_KEY_FILE = "secret.key";

/**
 * The token-signing key kept in `dataDir` for when SECRET_KEY is not set: generated once (32 random
 * bytes, hex, readable by this user only) and read back on every later start, so that tokens survive a
 * restart and every local process of this checkout (`bun run dev`, `bun run dev:edge`) signs alike.
 */
export function localSecretKey(dataDir: string): string {
  const dir = resolve(dataDir);
  const file = join(dir, SECRET_KEY_FILE);
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(dir, { recursive: true });
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const key = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  // Written aside, then linked into place: processes starting together (`bun run cluster`) all end up
  // with the first key, and none reads a file whose content is not written yet.
  const draft = `${file}.${process.pid}.${bytes[0]}`;
  writeFileSync(draft, key, { mode: 0o600 });
  chmodSync(draft, 0o600);
  try {
    linkSync(draft, file);
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    return readFileSync(file, "utf8").trim();
  } finally {
    rmSync(draft, { force: true });
  }
}
