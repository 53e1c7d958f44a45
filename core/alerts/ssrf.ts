/**
 * The SSRF guard for every outbound notification URL (webhook, Slack). A rule's URL comes from a user, and
 * the scheduler sends from inside the deployment's network: without a guard a rule could make LogFlow
 * call its own database, the cloud metadata service or anything else only the server can reach.
 *
 * - http and https only, no credentials in the URL;
 * - the host, a literal address or every address a name resolves to, must be public: loopback, private
 *   (RFC 1918, ULA), link-local (cloud metadata at 169.254.169.254 included), CGNAT, multicast,
 *   unspecified, reserved and documentation ranges are refused, for IPv4 and IPv6, IPv4-mapped and
 *   NAT64/6to4 forms included;
 * - redirects are not followed (a public URL could redirect to a private one) and count as failures;
 * - the response body is read up to a bound.
 *
 * Name resolution is injected: on Bun it is `node:dns` (see `systemResolver` in resolve-bun.ts). Workers
 * have no DNS API; there only literal addresses are checked, and Workers' own egress cannot reach the
 * deployment's private network anyway. Between our lookup and fetch's own, a name could be re-pointed
 * (DNS rebinding): fetch offers no way to pin the address, a limitation shared with most webhook senders.
 *
 * `allowPrivate` (ALLOW_PRIVATE_WEBHOOKS=true) lifts the address check, for tests and self-hosted setups
 * that post to an internal endpoint; the scheme and redirect rules still hold.
 */

export type Resolver = (host: string) => Promise<string[]>;

export interface GuardOptions {
  allowPrivate: boolean;
  /** Resolves a host name to its addresses; absent where the runtime has none (Workers). */
  resolve?: Resolver;
}

export class UnsafeUrlError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "UnsafeUrlError";
  }
}

function parseV4(s: string): number[] | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out.push(n);
  }
  return out;
}

/** Why an IPv4 address is not public, or null when it is. */
function v4Problem(b: number[]): string | null {
  const [a, c] = [b[0]!, b[1]!];
  if (a === 0) return "unspecified or 'this network' address";
  if (a === 10) return "private address";
  if (a === 127) return "loopback address";
  if (a === 100 && c >= 64 && c <= 127) return "carrier-grade NAT address";
  if (a === 169 && c === 254) return "link-local address (cloud metadata)";
  if (a === 172 && c >= 16 && c <= 31) return "private address";
  if (a === 192 && c === 168) return "private address";
  if (a === 192 && c === 0 && b[2] === 0) return "IETF protocol assignment";
  if (a === 192 && c === 0 && b[2] === 2) return "documentation address";
  if (a === 198 && (c === 18 || c === 19)) return "benchmarking address";
  if (a === 198 && c === 51 && b[2] === 100) return "documentation address";
  if (a === 203 && c === 0 && b[2] === 113) return "documentation address";
  if (a >= 224 && a <= 239) return "multicast address";
  if (a >= 240) return "reserved or broadcast address";
  return null;
}

/** 8 groups of 16 bits, or null when not IPv6. Accepts `::`, zone ids and a trailing dotted quad. */
function parseV6(input: string): number[] | null {
  let s = input.replace(/^\[|\]$/g, "");
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  if (!s.includes(":")) return null;
  const lastColon = s.lastIndexOf(":");
  const maybeV4 = s.slice(lastColon + 1);
  if (maybeV4.includes(".")) {
    // A trailing dotted quad (::ffff:1.2.3.4) is the last two groups.
    const v4 = parseV4(maybeV4);
    if (!v4) return null;
    const hi = ((v4[0]! << 8) | v4[1]!).toString(16);
    const lo = ((v4[2]! << 8) | v4[3]!).toString(16);
    s = `${s.slice(0, lastColon + 1)}${hi}:${lo}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const group = (part: string) => (part === "" ? [] : part.split(":"));
  const head = group(halves[0]!);
  const rest = halves.length === 2 ? group(halves[1]!) : [];
  const words = [...head, ...rest];
  if (!words.every((w) => /^[0-9a-fA-F]{1,4}$/.test(w))) return null;
  const missing = 8 - words.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const nums = [
    ...head.map((w) => Number.parseInt(w, 16)),
    ...Array(halves.length === 2 ? missing : 0).fill(0),
    ...rest.map((w) => Number.parseInt(w, 16)),
  ];
  return nums.length === 8 ? nums : null;
}

function v6Problem(w: number[]): string | null {
  const zeroUpTo = (n: number) => w.slice(0, n).every((x) => x === 0);
  const embedded = [w[6]! >> 8, w[6]! & 255, w[7]! >> 8, w[7]! & 255];
  if (zeroUpTo(8)) return "unspecified address";
  if (zeroUpTo(7) && w[7] === 1) return "loopback address";
  // ::ffff:a.b.c.d (IPv4-mapped) and ::a.b.c.d (IPv4-compatible): the IPv4 rules apply.
  if (zeroUpTo(5) && w[5] === 0xffff) return v4Problem(embedded);
  if (zeroUpTo(6)) return v4Problem(embedded);
  // NAT64 (64:ff9b::/96) reaches the embedded IPv4 address.
  if (w[0] === 0x64 && w[1] === 0xff9b && w.slice(2, 6).every((x) => x === 0)) return v4Problem(embedded);
  // 6to4 (2002::/16) embeds an IPv4 address in bits 16–48.
  if (w[0] === 0x2002) return v4Problem([w[1]! >> 8, w[1]! & 255, w[2]! >> 8, w[2]! & 255]);
  if ((w[0]! & 0xfe00) === 0xfc00) return "unique local (private) address";
  if ((w[0]! & 0xffc0) === 0xfe80) return "link-local address";
  if ((w[0]! & 0xffc0) === 0xfec0) return "site-local address";
  if ((w[0]! & 0xff00) === 0xff00) return "multicast address";
  if (w[0] === 0x2001 && w[1] === 0x0db8) return "documentation address";
  if (w[0] === 0x0100 && zeroUpTo(4)) return "discard-only address";
  return null;
}

/** Whether `host` is a literal IP address, and if so why it is not public (null when public). */
export function addressProblem(address: string): { literal: boolean; problem: string | null } {
  const v4 = parseV4(address);
  if (v4) return { literal: true, problem: v4Problem(v4) };
  const v6 = parseV6(address);
  if (v6) return { literal: true, problem: v6Problem(v6) };
  return { literal: false, problem: null };
}

/** Scheme and credentials, and a literal address: the checks that need no DNS (rule creation on any runtime). */
export function checkUrlSyntax(raw: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UnsafeUrlError("not a valid URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new UnsafeUrlError("only http and https URLs are allowed");
  if (url.username || url.password) throw new UnsafeUrlError("credentials in the URL are not allowed");
  if (!allowPrivate) {
    const { problem } = addressProblem(url.hostname);
    if (problem) throw new UnsafeUrlError(`${url.hostname} is a ${problem}`);
    if (/^localhost\.?$/i.test(url.hostname) || /\.localhost\.?$/i.test(url.hostname)) {
      throw new UnsafeUrlError(`${url.hostname} is a loopback name`);
    }
  }
  return url;
}

/** The full check before a request: syntax, then every address the host resolves to. */
export async function checkUrl(raw: string, opts: GuardOptions): Promise<URL> {
  const url = checkUrlSyntax(raw, opts.allowPrivate);
  if (opts.allowPrivate) return url;
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (addressProblem(host).literal || !opts.resolve) return url;
  let addresses: string[];
  try {
    addresses = await opts.resolve(host);
  } catch (err) {
    throw new UnsafeUrlError(`cannot resolve ${host}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!addresses.length) throw new UnsafeUrlError(`${host} resolves to no address`);
  for (const a of addresses) {
    const { problem } = addressProblem(a);
    if (problem) throw new UnsafeUrlError(`${host} resolves to ${a}, a ${problem}`);
  }
  return url;
}

export interface SafeResponse {
  status: number;
  /** At most `maxBodyBytes` of the body, as text. */
  body: string;
}

/**
 * POST through the guard: checked URL, no redirects (a 3xx is returned as is, for the caller to treat as
 * failure), a timeout, and a bounded read of the answer.
 */
export async function safePost(
  raw: string,
  init: { body: string; headers: Record<string, string> },
  opts: GuardOptions & { timeoutMs: number; maxBodyBytes?: number; fetch?: typeof fetch },
): Promise<SafeResponse> {
  const url = await checkUrl(raw, opts);
  const res = await (opts.fetch ?? fetch)(url, {
    method: "POST",
    body: init.body,
    headers: init.headers,
    redirect: "manual",
    signal: AbortSignal.timeout(opts.timeoutMs),
  });
  const max = opts.maxBodyBytes ?? 16 * 1024;
  let body = "";
  if (res.body) {
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let read = 0;
    try {
      while (read < max) {
        const { done, value } = await reader.read();
        if (done) break;
        read += value.byteLength;
        body += decoder.decode(value.subarray(0, Math.max(0, value.byteLength - Math.max(0, read - max))), {
          stream: true,
        });
      }
    } finally {
      await reader.cancel().catch(() => {});
    }
  }
  return { status: res.status, body };
}
