import { describe, expect, test } from "bun:test";
import { ingestCredential } from "./auth.ts";

const KEY = `lf_${"a".repeat(43)}`;
const b64 = (s: string) => btoa(s);

describe("ingestCredential: the key in each Authorization form shippers send", () => {
  test("Bearer, ApiKey as is or base64(id:key), Basic with the key as password (or as user)", () => {
    expect(ingestCredential(`Bearer ${KEY}`)).toBe(KEY);
    expect(ingestCredential(`ApiKey ${KEY}`)).toBe(KEY);
    expect(ingestCredential(`ApiKey ${b64(`vector:${KEY}`)}`)).toBe(KEY);
    expect(ingestCredential(`Basic ${b64(`rsyslog:${KEY}`)}`)).toBe(KEY);
    expect(ingestCredential(`Basic ${b64(`${KEY}:`)}`)).toBe(KEY);
    expect(ingestCredential(`basic ${b64(`any:${KEY}`)}`)).toBe(KEY);
  });

  test("nothing usable is null", () => {
    expect(ingestCredential(undefined)).toBeNull();
    expect(ingestCredential("Digest abc")).toBeNull();
    expect(ingestCredential("Basic !!!")).toBeNull();
    expect(ingestCredential(`Basic ${b64(":")}`)).toBeNull();
  });
});
