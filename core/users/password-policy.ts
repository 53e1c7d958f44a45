import { COMMON_PASSWORDS } from "./common-passwords.ts";

let common: Set<string> | undefined;

/** Whether the password is among the 10,000 seen most often in breaches (case-blind). */
export function isCommonPassword(password: string): boolean {
  common ??= new Set(COMMON_PASSWORDS.split("\n"));
  return common.has(password.toLowerCase());
}

/** Why a password is refused, and what is only said about it. */
export interface PasswordVerdict {
  /** Reasons to refuse it (a 422 names each). */
  refusals: string[];
  /** What is said but allowed: the breached-list check outside production. */
  warnings: string[];
}

/** Parts of an account a password must not contain, when at least this long. */
const MIN_PART = 3;

/**
 * Judge a new password for an account: under 8 characters, containing the username or the email
 * address's local part (either at least 3 characters, any case), or among the 10,000 most common
 * breached passwords. The breached check refuses when `breached` is "refuse" (production) and only
 * warns otherwise, so that a local trial keeps the seed's examples.
 */
export function judgePassword(
  password: string,
  account: { username: string; email?: string | undefined },
  breached: "refuse" | "warn",
): PasswordVerdict {
  const refusals: string[] = [];
  const warnings: string[] = [];
  const lower = password.toLowerCase();
  if ([...password].length < 8) refusals.push("must be at least 8 characters");
  const username = account.username.toLowerCase();
  if (username.length >= MIN_PART && lower.includes(username)) refusals.push("must not contain the username");
  const local = account.email?.split("@")[0]?.toLowerCase() ?? "";
  if (local.length >= MIN_PART && local !== username && lower.includes(local)) {
    refusals.push("must not contain the email address's name (before the @)");
  }
  if (isCommonPassword(password)) {
    const why = "is one of the 10,000 most common passwords in breaches; choose one nobody else uses";
    if (breached === "refuse") refusals.push(why);
    else warnings.push(`password ${why} (allowed outside production only)`);
  }
  return { refusals, warnings };
}
