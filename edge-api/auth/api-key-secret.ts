import { base64url } from "../../core/base64.ts";

/** API keys are `lf_` + 43 base64url characters (256 random bits). */
export const API_KEY_PREFIX = "lf_";

export function newApiKey(): string {
  return API_KEY_PREFIX + base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** SHA-256 hex: what is stored and looked up (Web Crypto, so the same on Bun, Deno and Workers). */
export async function hashApiKey(key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX) && token.length === API_KEY_PREFIX.length + 43;
}
