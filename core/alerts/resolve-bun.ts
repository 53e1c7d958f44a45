import { lookup } from "node:dns/promises";
import type { Resolver } from "./ssrf.ts";

/** Every address (IPv4 and IPv6) the system resolver gives for a host: what fetch may connect to. */
export const systemResolver: Resolver = async (host) => {
  const found = await lookup(host, { all: true, verbatim: true });
  return found.map((a) => a.address);
};
