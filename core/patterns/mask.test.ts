import { describe, expect, test } from "bun:test";
import {
  covers,
  generalise,
  isValueToken,
  MAX_CHARS,
  MAX_TOKEN_LENGTH,
  MAX_TOKENS,
  maskTokens,
  templateText,
} from "./mask.ts";

const mask = (s: string) => templateText(maskTokens(s));

describe("maskTokens", () => {
  test("numbers and ids inside a token become the wildcard; the words around them stay", () => {
    expect(mask("PacketResponder 1 for block blk_38865049064139660 terminating")).toBe(
      "PacketResponder <*> for block blk_<*> terminating",
    );
    expect(mask("Received block blk_-6952295868487656571 of size 67108864")).toBe(
      "Received block blk_<*> of size <*>",
    );
    expect(mask("Created MRAppMaster for application appattempt_1445144423722_0020_000001")).toBe(
      "Created MRAppMaster for application appattempt_<*>_<*>_<*>",
    );
  });

  test("a token with no word left (IP and port, float, date, version) is one wildcard", () => {
    expect(mask("connect to 10.10.34.11:45307 in 0.2477829")).toBe("connect to <*> in <*>");
    expect(mask("from /10.10.34.11:45307")).toBe("from <*>");
    expect(mask("at 2016-09-28T04:30:30.123Z")).toBe("at <*>");
    expect(mask("stack v6.1.7601.23505")).toBe("stack <*>");
  });

  test("hex ids, UUIDs, IPv6 and MAC addresses are values", () => {
    expect(mask("flags=0x1f token a64f992")).toBe("flags=<*> token <*>");
    expect(mask("instance b9000564-fe1a-409b-b8cc-1e88b294cd1d")).toBe("instance <*>");
    expect(mask("Addr: 2607:f140:6000:8:c6b3:1ff:fecd:467f")).toBe("Addr: <*>");
    expect(mask("mac 00:1a:2b:cc:dd:ee")).toBe("mac <*>");
  });

  test("a word with a digit or two stays a word; a name made mostly of digits does not", () => {
    expect(mask("open through proxy SOCKS5 over ssh2 on eth0 IPv6")).toBe(
      "open through proxy SOCKS5 over ssh2 on eth0 IPv6",
    );
    expect(mask("user u0 task t761")).toBe("user <*> task <*>");
  });

  test("a sign belongs to a number, not to the dash between two names or numbers", () => {
    expect(mask("offset -42 and +7")).toBe("offset <*> and <*>");
    expect(mask("host 24-54-76-216.example.net")).toBe("host <*>-<*>-<*>-<*>.example.net");
    expect(mask("node-129 up")).toBe("node-<*> up");
  });

  test("durations and sizes with their unit are one value", () => {
    expect(mask("took 12 ms")).toBe("took <*>");
    expect(mask("lifetime <1 sec")).toBe("lifetime <*>");
    expect(mask("451 bytes sent, 18846 bytes (18.4 KB) received")).toBe("<*> sent, <*> received");
    expect(mask("Took 19.05 seconds to spawn")).toBe("Took <*> to spawn");
  });

  test("month and weekday names beside numbers are part of the date", () => {
    expect(mask("connection at Fri Jul  1 07:57:30 2005")).toBe("connection at <*>");
    expect(mask("connection at Mon Jun 20 03:40:59 2005")).toBe("connection at <*>");
    expect(mask("Jun 14 15:16:01 combo sshd")).toBe("<*> combo sshd");
    // Without a number beside it a month name is a word.
    expect(mask("may fail")).toBe("may fail");
  });

  test("runs of values are one wildcard, so lists of any length give one template", () => {
    expect(mask("REPORT : 7007 5002 150089 240")).toBe("REPORT : <*>");
    expect(mask("REPORT : 7007 5002")).toBe("REPORT : <*>");
    expect(mask("Fan speeds ( 3552 3534 **** 3515 )")).toBe("Fan speeds ( <*> **** <*> )");
  });

  test("key=value: the key is a word of its own, the value a token after it", () => {
    expect(maskTokens("uid=0 user=root logname= tty=NODEVssh")).toEqual([
      "uid",
      "=<*>",
      "user",
      "=root",
      "logname=",
      "tty",
      "=NODEVssh",
    ]);
    // A key must be a plain name: a query string stays one token.
    expect(maskTokens("GET /servers/detail?all_tenants=True")).toEqual([
      "GET",
      "/servers/detail?all_tenants=True",
    ]);
  });

  test("blank messages have no tokens; a huge one is cut to a bounded template", () => {
    expect(maskTokens("")).toEqual([]);
    expect(maskTokens(" \t \n")).toEqual([]);
    const long = maskTokens(Array.from({ length: 1000 }, (_, i) => `w${"x".repeat(i % 7)}`).join(" "));
    expect(long).toHaveLength(MAX_TOKENS);
    expect(long[MAX_TOKENS - 1]).toBe("<*>");
    expect(maskTokens(`blob ${"a".repeat(100_000)}`)[1]!.length).toBeLessThanOrEqual(MAX_TOKEN_LENGTH);
    const wide = maskTokens(
      Array.from({ length: 100 }, (_, i) => `${"abcdefghij"[i % 10]!.repeat(200)}`).join(" "),
    );
    expect(wide.join("").length).toBeLessThanOrEqual(MAX_CHARS + 3);
    expect(wide[wide.length - 1]).toBe("<*>");
  });
});

describe("isValueToken", () => {
  test("ids, hosts, dotted names, paths and masked tokens are values", () => {
    for (const t of [
      "<*>",
      "blk_<*>",
      "=<*>",
      "com.apple.icloud:",
      "/etc/passwd",
      "C:\\Windows",
      "a@b",
      "x".repeat(81),
    ])
      expect(isValueToken(t)).toBe(true);
  });

  test("words, with the punctuation around them, are not", () => {
    for (const t of [
      "root",
      "Started",
      "failures;",
      "(Lifecycle",
      "'Inactive'",
      "=root",
      "SOCKS5",
      "CBS_E_FAIL",
    ])
      expect(isValueToken(t)).toBe(false);
  });
});

describe("generalise and covers", () => {
  test("two values of one key keep the key; anything else becomes the wildcard", () => {
    expect(generalise("=root", "=guest")).toBe("=<*>");
    expect(generalise("root", "guest")).toBe("<*>");
    expect(generalise("same", "same")).toBe("same");
    expect(covers("=<*>", "=anything")).toBe(true);
    expect(covers("=<*>", "anything")).toBe(false);
    expect(covers("<*>", "anything")).toBe(true);
    expect(covers("root", "guest")).toBe(false);
  });

  test("a template reads as the message did: values right after their keys", () => {
    expect(templateText(["uid", "=<*>", "user", "=root", "logname=", "tty"])).toBe(
      "uid=<*> user=root logname= tty",
    );
  });
});
