/**
 * Stand-ins for what lives in the database when no database is configured (an edge deployment without
 * DATABASE_URL): every call fails with a 503 that says what to set. They never pretend to hold data.
 */
import { AppError } from "../core/errors.ts";
import type { AlertRuleRepo, TriggeredAlertRepo } from "../core/ports/alerts.ts";
import type { LogStore, StoreHealth } from "../core/ports/log-store.ts";
import type { UserRepo } from "../core/ports/users.ts";

export const DATABASE_URL_MISSING =
  "DATABASE_URL is not set: this instance has no database. Set it to a postgres:// URL " +
  "(Workers: `wrangler secret put DATABASE_URL`; Deno: the environment), then run `bun run db:migrate` against it.";

// Rejects (never throws synchronously), as every port method is async.
const unconfigured = async (): Promise<never> => {
  throw new AppError("UNAVAILABLE", DATABASE_URL_MISSING);
};

/** The log store's stand-in: every read and write answers 503; health() reports unhealthy. */
export class UnconfiguredLogStore implements LogStore {
  write = unconfigured;
  search = unconfigured;
  get = unconfigured;
  recent = unconfigured;
  count = unconfigured;
  countMany = unconfigured;
  groupMany = unconfigured;
  histogram = unconfigured;
  breakdown = unconfigured;
  topMessages = unconfigured;
  patternCounts = unconfigured;
  aggregate = unconfigured;
  stats = unconfigured;
  deleteOlderThan = unconfigured;
  deleteServicesOlderThan = unconfigured;
  async health(): Promise<StoreHealth> {
    return { status: "unhealthy", detail: DATABASE_URL_MISSING };
  }
}

/** The user repository's stand-in: login, register and /me answer 503. */
export class UnconfiguredUserRepo implements UserRepo {
  create = unconfigured;
  findById = unconfigured;
  findCredentials = unconfigured;
  list = unconfigured;
  update = unconfigured;
  authState = unconfigured;
  setStatus = unconfigured;
  remove = unconfigured;
  ensure = unconfigured;
}

/** The alert repositories' stand-ins: the alert API answers 503. */
export class UnconfiguredAlertRuleRepo implements AlertRuleRepo {
  create = unconfigured;
  get = unconfigured;
  list = unconfigured;
  update = unconfigured;
  delete = unconfigured;
  listActive = unconfigured;
  recordEvaluations = unconfigured;
  seenGroups = unconfigured;
  recordSeenGroups = unconfigured;
}

export class UnconfiguredTriggeredAlertRepo implements TriggeredAlertRepo {
  fire = unconfigured;
  openFor = unconfigured;
  lastFiredByGroup = unconfigured;
  addDelivery = unconfigured;
  get = unconfigured;
  list = unconfigured;
  acknowledge = unconfigured;
  resolve = unconfigured;
}
