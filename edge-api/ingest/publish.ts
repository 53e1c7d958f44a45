import type { Context } from "hono";
import { acceptItems, type DecodedItem, type ItemOutcome } from "../../core/ingest/decoded.ts";
import type { LogEvent } from "../../core/log-event.ts";
import type { IngestItem } from "../../core/ports/collector.ts";
import type { AppEnv } from "../context.ts";

export interface Judged {
  accepted: number;
  events: LogEvent[];
  /** Per decoded item, in request order: the event's id, or why it was refused. */
  outcomes: ItemOutcome[];
  rejected: number;
  now: number;
}

/** Each decoded item judged on its own (time range, limits), as `POST /api/v1/ingest` judges events. */
export function judgeDecoded(c: Context<AppEnv>, items: readonly DecodedItem[]): Judged {
  const deps = c.get("deps");
  const now = deps.now?.() ?? Date.now();
  const judged = acceptItems(items, now, deps.limits);
  return { ...judged, accepted: judged.events.length, now };
}

/**
 * The valid events into the same pipeline as `POST /api/v1/ingest`: handed to the collector, which
 * publishes them (queue → store, or Kafka) and resolves once they are durable. Throws the collector's
 * AppError UNAVAILABLE (with Retry-After) when they could not be made durable: nothing is acknowledged.
 */
export async function publishJudged(c: Context<AppEnv>, judged: Judged): Promise<void> {
  const deps = c.get("deps");
  const handed: IngestItem[] = judged.events.map((event) => ({ ok: true, event }));
  for (const o of judged.outcomes) if (!o.ok) handed.push(o);
  await deps.collect(handed, deps, { now: judged.now, requestId: c.get("requestId") });
}

/** `judgeDecoded` then `publishJudged`. */
export async function publishDecoded(c: Context<AppEnv>, items: readonly DecodedItem[]): Promise<Judged> {
  const judged = judgeDecoded(c, items);
  await publishJudged(c, judged);
  return judged;
}
