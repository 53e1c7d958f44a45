import bcrypt from "bcryptjs";

/** bcrypt (self-describing `$2b$` hashes); pure JS so it runs on Bun, Deno and Workers alike. */
export function hashPassword(password: string, rounds: number): Promise<string> {
  return bcrypt.hash(password, rounds);
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(password, hash);
}

let dummy: Promise<string> | undefined;

/**
 * Spend the time a real comparison would, for an unknown user, so that response time does not reveal
 * which usernames exist.
 */
export async function burnPasswordCheck(password: string, rounds: number): Promise<void> {
  dummy ??= bcrypt.hash("logflow-timing-equaliser", rounds);
  await bcrypt.compare(password, await dummy);
}
