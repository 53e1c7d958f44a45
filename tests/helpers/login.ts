/** How a test reaches the API: `fetch` against a server's origin, or an in-process app's `request`. */
export type Send = (path: string, init: RequestInit) => Promise<Response> | Response;

/** `fetch` against the server at `base` (its origin: scheme, host and port). */
export const overHttp =
  (base: string): Send =>
  (path, init) =>
    fetch(`${base}${path}`, init);

/**
 * A session token for `username` (POST /api/v1/auth/login); a refused login throws with the status and
 * what the server answered, so the test fails there rather than on a later 401.
 */
export async function login(send: Send, username: string, password: string): Promise<string> {
  const res = await send("/api/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login as ${username} answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}
