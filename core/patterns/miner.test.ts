import { describe, expect, test } from "bun:test";
import { seededRandom as rng } from "../anomaly/isolation-forest.ts";
import { PatternMiner } from "./miner.ts";
import { patternId } from "./pattern-id.ts";

const USERS = ["root", "admin", "test", "oracle", "guest", "support", "git", "ftp", "ubuntu", "pi", "user"];
const STATES = ["Started", "Paused"];

/** A service's lines: values that vary freely, user names (words) that vary, and a two-word enum. */
function serviceLines(n: number, seed: number): string[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const ip = () =>
    `${1 + Math.floor(r() * 254)}.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}`;
  const shapes = [
    () => `PacketResponder ${Math.floor(r() * 3)} for block blk_${Math.floor(r() * 1e15)} terminating`,
    () => `Invalid user ${pick(USERS)} from ${ip()}`,
    () => `Failed password for ${pick(USERS)} from ${ip()} port ${Math.floor(r() * 65535)} ssh2`,
    () =>
      `[instance: ${Math.floor(r() * 2 ** 32).toString(16)}-${Math.floor(r() * 2 ** 16).toString(16)}] VM ${pick(STATES)} (Lifecycle Event)`,
    () =>
      `GET /api/v1/users/u_${Math.floor(r() * 1e6)}/profile ${pick([200, 404, 500])} in ${Math.floor(r() * 900)} ms`,
    () => `Connection closed by ${ip()} [preauth]`,
  ];
  return Array.from({ length: n }, () => pick(shapes)());
}

function feed(miner: PatternMiner, lines: readonly string[]): string[] {
  return lines.map((l) => miner.add(l).id);
}

describe("PatternMiner: templates", () => {
  test("lines that differ in values share one template, with the values masked", () => {
    const m = new PatternMiner("hdfs");
    const ids = feed(m, [
      "PacketResponder 1 for block blk_38865049064139660 terminating",
      "PacketResponder 0 for block blk_-6952295868487656571 terminating",
      "PacketResponder 2 for block blk_7128370237687728475 terminating",
    ]);
    expect(new Set(ids).size).toBe(1);
    expect(m.templates()).toEqual([
      { id: ids[0]!, template: "PacketResponder <*> for block blk_<*> terminating", count: 3 },
    ]);
  });

  test("a template keeps its id as it generalises", () => {
    const m = new PatternMiner("api");
    const first = m.add("Connection closed by host-a.example.com [preauth]");
    expect(first.created).toBe(true);
    const second = m.add("Connection closed by host-b.example.org [preauth]");
    expect(second).toEqual({ id: first.id, created: false });
    expect(m.templates()[0]!.template).toBe("Connection closed by <*> [preauth]");
  });

  test("lines that differ in one word stay apart until that position has shown four words", () => {
    const m = new PatternMiner("nova");
    const vm = (state: string) => m.add(`[instance: 9f4e] VM ${state} (Lifecycle Event)`).id;
    const started = vm("Started");
    const paused = vm("Paused");
    const resumed = vm("Resumed");
    expect(new Set([started, paused, resumed]).size).toBe(3);
    expect(vm("Started")).toBe(started);

    const stopped = vm("Stopped");
    // The fourth word makes the position a variable: one template, and every id handed out resolves to it.
    expect(m.size).toBe(1);
    const survivor = m.templates()[0]!;
    expect(survivor.template).toBe("[instance: <*> VM <*> (Lifecycle Event)");
    expect(survivor.count).toBe(5);
    for (const id of [started, paused, resumed, stopped]) expect(m.resolve(id)).toBe(survivor.id);
    expect(vm("Suspended")).toBe(survivor.id);
  });

  test("lines that differ in more than one word never join", () => {
    const m = new PatternMiner("hpc");
    const a = m.add("Command has completed successfully").id;
    const b = m.add("Command has been aborted").id;
    expect(a).not.toBe(b);
    expect(m.resolve(a)).not.toBe(m.resolve(b));
  });

  test("a template of wildcards only does not swallow every line of its length", () => {
    const m = new PatternMiner("app");
    const number = m.add("12345").id;
    expect(m.add("cancelAutohide").id).not.toBe(number);
    expect(m.add("67890").id).toBe(number);
  });

  test("ids depend on the service and the first line's masked tokens only", () => {
    const a = new PatternMiner("a").add("took 12 ms").id;
    expect(new PatternMiner("a").add("took 99 ms").id).toBe(a);
    expect(new PatternMiner("b").add("took 12 ms").id).not.toBe(a);
    expect(a).toBe(patternId("a", ["took", "<*>"]));
    expect(a).toMatch(/^[0-9a-f]{16}$/);
  });

  test("the same lines in the same order give the same templates and ids", () => {
    const lines = serviceLines(5_000, 7);
    const a = new PatternMiner("svc");
    const b = new PatternMiner("svc");
    expect(feed(a, lines)).toEqual(feed(b, lines));
    expect(a.snapshot()).toEqual(b.snapshot());
    expect(a.size).toBeLessThan(20);
  });
});

describe("PatternMiner: bounded memory", () => {
  test("the number of templates never exceeds the cap, however many distinct lines arrive", () => {
    const m = new PatternMiner("flood", { maxTemplates: 50 });
    const r = rng(3);
    const word = () =>
      Array.from({ length: 6 }, () => String.fromCharCode(97 + Math.floor(r() * 26))).join("");
    let created = 0;
    for (let i = 0; i < 10_000; i++) {
      // Three random words: no two lines share enough to join, so each starts a template.
      if (m.add(`${word()} ${word()} ${word()}`).created) created++;
      expect(m.size).toBeLessThanOrEqual(50);
    }
    expect(created).toBeGreaterThan(9_000);
    expect(m.snapshot().templates.length).toBeLessThanOrEqual(50);
    expect(m.snapshot().aliases.length).toBeLessThanOrEqual(200);
  });

  test("a flood of one-off lines evicts other one-offs, not the templates a service writes all day", () => {
    const m = new PatternMiner("svc", { maxTemplates: 20 });
    const r = rng(9);
    const word = () =>
      Array.from({ length: 7 }, () => String.fromCharCode(97 + Math.floor(r() * 26))).join("");
    const steady = [
      m.add("heartbeat ok from node-1").id,
      m.add("request served in 12 ms").id,
      m.add("cache hit ratio 0.93").id,
    ];
    for (let i = 0; i < 5_000; i++) {
      // Three words no other line has: a template each, seen once.
      expect(m.add(`${word()} ${word()} ${word()}`).created).toBe(true);
      if (i % 100 === 0) {
        // Never evicted in between: each is found, not started again (which would give the same id).
        expect(m.add("heartbeat ok from node-7")).toEqual({ id: steady[0]!, created: false });
        expect(m.add("request served in 40 ms")).toEqual({ id: steady[1]!, created: false });
        expect(m.add("cache hit ratio 0.5")).toEqual({ id: steady[2]!, created: false });
      }
    }
    const held = new Map(m.templates().map((t) => [t.id, t.count]));
    for (const id of steady) expect(held.get(id)).toBe(51);
    expect(m.size).toBeLessThanOrEqual(20);
  });

  test("an evicted template that comes back gets its old id again", () => {
    const m = new PatternMiner("svc", { maxTemplates: 5 });
    const id = m.add("disk 91% full on volume 3").id;
    const word = (i: number) => `${"abcdefghij"[i % 10]}${"klmnopqrst"[Math.floor(i / 10) % 10]}x`;
    for (let i = 0; i < 50; i++) m.add(`${word(i)} ${word(i + 3)} ${word(i + 7)}`);
    expect(m.templates().some((t) => t.id === id)).toBe(false);
    expect(m.add("disk 97% full on volume 4")).toEqual({ id, created: true });
  });
});

describe("PatternMiner: restarts and clusters", () => {
  test("a miner restored from a snapshot goes on exactly as the original would have", () => {
    const lines = serviceLines(4_000, 11);
    const whole = new PatternMiner("svc");
    const expected = feed(whole, lines);

    const first = new PatternMiner("svc");
    const ids = feed(first, lines.slice(0, 2_000));
    const stored = JSON.parse(JSON.stringify(first.snapshot()));
    const restored = PatternMiner.restore(stored);
    ids.push(...feed(restored, lines.slice(2_000)));

    expect(ids).toEqual(expected);
    expect(restored.snapshot()).toEqual(whole.snapshot());
  });

  test("a snapshot that is not one is refused with the reason", () => {
    expect(() => PatternMiner.restore({ version: 1, service: "svc" })).toThrow(/templates/);
    const snap = new PatternMiner("a").snapshot();
    expect(() => new PatternMiner("b").absorb(snap)).toThrow(/cannot absorb a into b/);
  });

  test("two miners fed alternate lines agree on every id once each has absorbed the other", () => {
    const lines = serviceLines(6_000, 5);
    const a = new PatternMiner("svc");
    const b = new PatternMiner("svc");
    const handedOut = lines.map((l, i) => (i % 2 ? b : a).add(l).id);
    // Each saw different first lines for some templates, so before reconciling their ids differ.
    const fromEven = new Set(handedOut.filter((_, i) => i % 2 === 0));
    expect(handedOut.some((id, i) => i % 2 === 1 && !fromEven.has(id))).toBe(true);

    const fromA = a.snapshot();
    const fromB = b.snapshot();
    a.absorb(fromB);
    b.absorb(fromA);

    expect(a.snapshot()).toEqual(b.snapshot());
    const live = new Set(a.templates().map((t) => t.id));
    for (const id of handedOut) {
      expect(a.resolve(id)).toBe(b.resolve(id));
      expect(live.has(a.resolve(id))).toBe(true);
    }
    // One template per shape, as a single miner fed every line would have found.
    const single = new PatternMiner("svc");
    feed(single, lines);
    expect(a.size).toBe(single.size);
    // And from here on both hand out the same ids.
    for (const line of serviceLines(500, 99)) expect(a.add(line).id).toBe(b.add(line).id);
  });

  test("three miners that each absorb the other two end in one state", () => {
    const lines = serviceLines(6_000, 21);
    const miners = [new PatternMiner("svc"), new PatternMiner("svc"), new PatternMiner("svc")];
    const handedOut = lines.map((l, i) => miners[i % 3]!.add(l).id);
    const snaps = miners.map((m) => m.snapshot());
    for (const [i, m] of miners.entries()) m.absorb(...snaps.filter((_, j) => j !== i));
    expect(miners[1]!.snapshot()).toEqual(miners[0]!.snapshot());
    expect(miners[2]!.snapshot()).toEqual(miners[0]!.snapshot());
    for (const id of handedOut) expect(miners[2]!.resolve(id)).toBe(miners[0]!.resolve(id));
  });

  test("absorbing a snapshot twice changes nothing", () => {
    const a = new PatternMiner("svc");
    const b = new PatternMiner("svc");
    feed(a, serviceLines(1_000, 1));
    feed(b, serviceLines(1_000, 2));
    const fromB = b.snapshot();
    a.absorb(fromB);
    const once = a.snapshot();
    a.absorb(fromB);
    expect(a.snapshot()).toEqual(once);
  });
});
