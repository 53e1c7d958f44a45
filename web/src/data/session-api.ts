import { api } from "./api.ts";
import { type Session, sessionFromToken, setSession } from "./auth.ts";

/** POST /api/v1/auth/login; the session starts only once the token's claims could be read. */
export async function login(username: string, password: string): Promise<Session> {
  const res = await api<{ access_token: string }>("/api/v1/auth/login", { json: { username, password } });
  const s = sessionFromToken(res.access_token);
  if (!s) throw new Error("The API answered with a token this dashboard cannot read");
  setSession(s);
  return s;
}

export function logout() {
  setSession(null);
}
