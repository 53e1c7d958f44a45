import { describe } from "bun:test";
import { rateLimiterBehaviour } from "../../../tests/helpers/rate-limiter-behaviour.ts";
import { MemoryRateLimiter } from "./rate-limiter.ts";

describe("MemoryRateLimiter: the shared sliding-window behaviour (fake clock)", () => {
  let now = 1_000_000;
  rateLimiterBehaviour(() => new MemoryRateLimiter(() => now), {
    now: () => now,
    sleepUntil: async (t) => {
      now = Math.max(now, t);
    },
  });
});
