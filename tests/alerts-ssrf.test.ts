import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createNotifier, type Notice } from "../core/alerts/notify.ts";
import { systemResolver } from "../core/alerts/resolve-bun.ts";
import type { TriggeredAlert } from "../core/alerts/schema.ts";
import { addressProblem, checkUrl, safePost, UnsafeUrlError } from "../core/alerts/ssrf.ts";
import type { EvaluableRule } from "../core/ports/alerts.ts";
import { integrationTimeouts } from "./helpers/timeouts.ts";

integrationTimeouts();

const guard = { allowPrivate: false, resolve: systemResolver };

async function refused(url: string, opts = guard): Promise<string> {
  try {
    await checkUrl(url, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(UnsafeUrlError);
    return (err as Error).message;
  }
  throw new Error(`${url} was allowed`);
}

describe("SSRF guard", () => {
  test("refuses loopback, private, link-local, CGNAT, multicast, unspecified and metadata addresses", async () => {
    for (const url of [
      "http://127.0.0.1/",
      "http://127.1.2.3:8080/x",
      "http://[::1]/",
      "http://169.254.169.254/latest/meta-data/",
      "http://10.0.0.1/",
      "http://172.16.5.4/",
      "http://192.168.1.1/",
      "http://100.64.0.1/",
      "http://0.0.0.0/",
      "http://224.0.0.1/",
      "http://255.255.255.255/",
      "http://[::]/",
      "http://[::ffff:127.0.0.1]/",
      "http://[::ffff:a9fe:a9fe]/",
      "http://[64:ff9b::a00:1]/",
      "http://[2002:7f00:1::]/",
      "http://[fe80::1]/",
      "http://[fc00::1]/",
      "http://[fd12:3456::1]/",
      "http://[ff02::1]/",
      "http://2130706433/", // 127.0.0.1 as one number: URL normalises it
      "http://0x7f.1/",
    ]) {
      expect(await refused(url)).toMatch(/address/);
    }
  });

  test("refuses names that resolve to such addresses, localhost included", async () => {
    expect(await refused("http://localhost:8000/")).toMatch(/loopback/);
    const stub = { allowPrivate: false, resolve: async () => ["93.184.215.14", "10.1.2.3"] };
    expect(await refused("https://hooks.example.com/x", stub)).toMatch(/resolves to 10\.1\.2\.3/);
    const v6 = { allowPrivate: false, resolve: async () => ["::ffff:169.254.169.254"] };
    expect(await refused("https://metadata.example.com/", v6)).toMatch(/link-local/);
    const loopback = { allowPrivate: false, resolve: async () => ["127.0.0.1"] };
    expect(await refused("https://internal.example.com/", loopback)).toMatch(/loopback/);
    // The system resolver on a name for loopback other than "localhost" itself.
    const sys = await systemResolver("localhost").catch(() => [] as string[]);
    if (sys.length) expect(sys.every((a) => addressProblem(a).problem !== null)).toBe(true);
    const none = { allowPrivate: false, resolve: async () => [] };
    expect(await refused("https://nowhere.example.com/", none)).toMatch(/no address/);
  });

  test("refuses other schemes and credentials; allows public addresses and names", async () => {
    expect(await refused("ftp://example.com/")).toMatch(/http/);
    expect(await refused("file:///etc/passwd")).toMatch(/http/);
    expect(await refused("http://user:pw@example.com/")).toMatch(/credentials/);
    const publicName = {
      allowPrivate: false,
      resolve: async () => ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
    };
    expect((await checkUrl("https://example.com/hook", publicName)).hostname).toBe("example.com");
    expect((await checkUrl("http://8.8.8.8/", guard)).hostname).toBe("8.8.8.8");
    expect(addressProblem("2606:4700::1111").problem).toBeNull();
  });

  test("ALLOW_PRIVATE_WEBHOOKS lifts only the address check", async () => {
    const open = { allowPrivate: true, resolve: systemResolver };
    expect((await checkUrl("http://127.0.0.1:9/", open)).port).toBe("9");
    expect(await refused("gopher://127.0.0.1/", open)).toMatch(/http/);
  });
});

describe("outbound requests", () => {
  let server: ReturnType<typeof Bun.serve>;
  let hits = 0;
  beforeAll(() => {
    server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch(req) {
        hits++;
        const path = new URL(req.url).pathname;
        if (path === "/redirect")
          return new Response(null, { status: 302, headers: { location: "http://169.254.169.254/" } });
        if (path === "/big") return new Response("x".repeat(1024 * 1024));
        return new Response("ok");
      },
    });
  });
  afterAll(() => server.stop(true));
  const base = () => `http://127.0.0.1:${server.port}`;
  const open = { allowPrivate: true, timeoutMs: 5000 };

  test("a redirect is not followed and the notifier counts it as a failure", async () => {
    hits = 0;
    const res = await safePost(`${base()}/redirect`, { body: "{}", headers: {} }, open);
    expect(res.status).toBe(302);
    expect(hits).toBe(1);
    const notify = createNotifier({ guard: { allowPrivate: true }, backoffMs: 1 });
    const rule = {
      id: 1,
      name: "r",
      severity: "warning",
      condition: "greater_than",
      notification_channel: "webhook",
      notification_config: { url: `${base()}/redirect` },
      signing_secret: "s",
    } as unknown as EvaluableRule;
    const alert = { id: 1, threshold: 1, value: 2, sample_log_ids: [] } as unknown as TriggeredAlert;
    const notice: Notice = { kind: "triggered", rule, alert, at: Date.now() };
    const d = await notify(notice);
    expect(d).toMatchObject({ ok: false, status: 302, attempts: 1 });
    expect(d.error).toMatch(/redirect/);
    // Without ALLOW_PRIVATE_WEBHOOKS the same delivery is refused before any request.
    hits = 0;
    const strict = createNotifier({ guard: { allowPrivate: false, resolve: systemResolver } });
    const refusedDelivery = await strict(notice);
    expect(refusedDelivery.ok).toBe(false);
    expect(refusedDelivery.error).toMatch(/^refused: .*loopback/);
    expect(hits).toBe(0);
  });

  test("the answer is read up to a bound", async () => {
    const res = await safePost(`${base()}/big`, { body: "{}", headers: {} }, { ...open, maxBodyBytes: 4096 });
    expect(res.status).toBe(200);
    expect(res.body.length).toBeLessThanOrEqual(4096);
  });
});
