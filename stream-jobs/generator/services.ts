import type { Hop, RequestSim } from "./request-sim.ts";

/**
 * What each back-end service does inside one request, and how it fails. Every step takes the time it is
 * entered and returns when it finished and the HTTP status it answered with, so callers can chain
 * hops and the gateway can log an honest total latency.
 */
export interface Step {
  t: number;
  status: number;
}

/** Network time between two pods: a few milliseconds. */
export const netMs = (sim: RequestSim): number => sim.rng.int(1, 4);

const CURRENCY = { "eu-west-1": "EUR", "us-east-1": "USD", "ap-southeast-1": "SGD" } as const;

/** An item of an order: what inventory reserves and payment charges for. */
export interface LineItem {
  sku: string;
  qty: number;
  price: number;
}

/** An order in flight through order → inventory → payment. */
export interface OrderDraft {
  id: string;
  items: LineItem[];
  amount: string;
  currency: string;
}

/** Draw an order of 1–3 items priced in the request region's currency. */
export function draftOrder(sim: RequestSim): OrderDraft {
  const { rng } = sim;
  const items = Array.from(
    {
      length: rng.weighted([
        [1, 6],
        [2, 3],
        [3, 1],
      ] as const),
    },
    () => ({
      sku: rng.pick(sim.world.skus),
      qty: rng.weighted([
        [1, 7],
        [2, 2],
        [3, 1],
      ] as const),
      price: rng.int(199, 12_999) / 100,
    }),
  );
  const total = items.reduce((sum, item) => sum + item.qty * item.price, 0);
  return {
    id: `ord_${rng.int(100_000, 999_999)}`,
    items,
    amount: total.toFixed(2),
    currency: CURRENCY[sim.region],
  };
}

/** Validate the caller's bearer token (every authenticated route passes here first). */
export function authValidate(sim: RequestSim, parent: Hop, t: number, scope: string): Step {
  const hop = sim.hop("auth-service", parent);
  const { rng } = sim;
  const took = sim.ms(6);
  if (sim.outage("auth-service")) {
    return sim.failHard(hop, t, {
      took: sim.ms(900, 0.6),
      criticalChance: 0.15,
      critical: "signing keys unavailable and key service unreachable; rejecting all tokens",
      errors: [
        "token validation failed: JWKS endpoint unreachable (https://auth.internal/.well-known/jwks.json)",
        "session store unavailable: redis connection refused (redis-auth:6379)",
        `token validation for user ${sim.userId} failed: upstream timeout after 800ms`,
      ],
      errorAttrs: (latency_ms) => ({ latency_ms, status_code: 503 }),
      status: 503,
    });
  }
  const r = rng.next();
  if (r < 0.004) {
    const end = t + 800 + rng.int(0, 20);
    sim.log(hop, end, "ERROR", "token verification failed: JWKS refresh timed out after 800ms", {
      latency_ms: end - t,
      status_code: 503,
    });
    return { t: end, status: 503 };
  }
  if (r < 0.05) {
    sim.log(
      hop,
      t + took,
      "WARNING",
      rng.pick([
        `token expired for user ${sim.userId} (expired ${rng.int(2, 900)}s ago)`,
        `invalid token signature for user ${sim.userId} (kid=${rng.pick(["2024-11-a", "2025-02-b", "unknown"])})`,
        `missing scope ${scope} for user ${sim.userId}`,
      ]),
      { latency_ms: took, status_code: 401 },
    );
    return { t: t + took, status: 401 };
  }
  if (r < 0.1) {
    sim.log(hop, t + took, "INFO", `token refreshed for user ${sim.userId} (expires_in=3600s)`, {
      latency_ms: took,
    });
  } else if (r < 0.5) {
    // Most successful validations go unlogged in production; a sample shows up at DEBUG.
    sim.log(hop, t + took, "DEBUG", `token validated for user ${sim.userId} scope=${scope}`, {
      latency_ms: took,
    });
  }
  return { t: t + took, status: 200 };
}

/** A database failure of the kind an error burst (or bad luck) produces in a data-owning service. */
function databaseFailure(sim: RequestSim, hop: Hop, t: number, pool: string, query: string): Step {
  const end = t + sim.ms(1_500, 0.7);
  if (sim.rng.chance(0.12)) {
    sim.log(
      hop,
      end,
      "CRITICAL",
      `database connection pool exhausted (pool=${pool}, max=50, waiting=${sim.rng.int(60, 400)})`,
      {
        latency_ms: end - t,
        status_code: 503,
      },
    );
    return { t: end, status: 503 };
  }
  sim.log(
    hop,
    end,
    "ERROR",
    sim.rng.pick([
      `database query failed: connection reset by peer (pool=${pool}, query=${query})`,
      `database query failed: canceling statement due to statement timeout (query=${query}, 1500ms)`,
      `could not acquire connection from pool ${pool} within 1000ms`,
    ]),
    { latency_ms: end - t, status_code: 500 },
  );
  return { t: end, status: 500 };
}

/** Read a user profile, usually from cache. */
export function userGetProfile(sim: RequestSim, parent: Hop, t: number): Step {
  const hop = sim.hop("user-service", parent);
  const { rng } = sim;
  if (sim.outage("user-service") || rng.chance(0.015)) {
    return databaseFailure(sim, hop, t, "users-db", "get_user_profile");
  }
  if (rng.chance(0.01)) {
    const took = sim.ms(5);
    sim.log(hop, t + took, "INFO", `user ${sim.userId} not found`, { latency_ms: took, status_code: 404 });
    return { t: t + took, status: 404 };
  }
  if (rng.chance(0.7)) {
    const took = sim.ms(3);
    if (rng.chance(0.3)) sim.log(hop, t + 1, "DEBUG", `profile cache hit key=user:${sim.userId}:profile`);
    sim.log(hop, t + took, "INFO", `profile loaded for user ${sim.userId} in ${took}ms (cache)`, {
      latency_ms: took,
    });
    return { t: t + took, status: 200 };
  }
  const slow = rng.chance(0.06);
  const took = slow ? sim.ms(1_200, 0.3) : sim.ms(22);
  if (rng.chance(0.08)) {
    sim.log(
      hop,
      t + 1,
      "WARNING",
      "profile cache unavailable (redis-users:6379 timeout), falling back to db",
    );
  } else {
    sim.log(hop, t + 1, "DEBUG", `profile cache miss key=user:${sim.userId}:profile, loading from db`);
  }
  if (slow) {
    sim.log(hop, t + took, "WARNING", `slow query get_user_profile took ${took}ms (threshold 500ms)`, {
      latency_ms: took,
    });
  }
  sim.log(hop, t + took + 1, "INFO", `profile loaded for user ${sim.userId} from db in ${took}ms`, {
    latency_ms: took,
  });
  return { t: t + took + 1, status: 200 };
}

/** Update a user's profile fields. */
export function userUpdateProfile(sim: RequestSim, parent: Hop, t: number): Step {
  const hop = sim.hop("user-service", parent);
  const { rng } = sim;
  if (sim.outage("user-service") || rng.chance(0.012)) {
    return databaseFailure(sim, hop, t, "users-db", "update_user_profile");
  }
  const took = sim.ms(28);
  if (rng.chance(0.04)) {
    sim.log(
      hop,
      t + took,
      "WARNING",
      `profile update rejected for user ${sim.userId}: email already in use`,
      {
        latency_ms: took,
        status_code: 409,
      },
    );
    return { t: t + took, status: 409 };
  }
  const fields = rng.pick(["email", "name", "address", "phone", "name,address", "marketing_opt_in"]);
  sim.log(hop, t + took, "INFO", `profile updated for user ${sim.userId} fields=${fields}`, {
    latency_ms: took,
  });
  return { t: t + took, status: 200 };
}

/** Record a login on the user record. */
export function userTouchLogin(sim: RequestSim, parent: Hop, t: number): Step {
  const hop = sim.hop("user-service", parent);
  if (sim.outage("user-service")) return databaseFailure(sim, hop, t, "users-db", "update_last_login");
  const took = sim.ms(9);
  sim.log(hop, t + took, "INFO", `last_login updated for user ${sim.userId}`, { latency_ms: took });
  return { t: t + took, status: 200 };
}

/** Reserve stock for every item of an order. */
export function inventoryReserve(sim: RequestSim, parent: Hop, t: number, order: OrderDraft): Step {
  const hop = sim.hop("inventory-service", parent);
  const { rng } = sim;
  if (sim.outage("inventory-service")) {
    return sim.failHard(hop, t, {
      took: sim.ms(700, 0.6),
      criticalChance: 0.12,
      critical: "inventory database is read-only (replica promoted?); refusing all reservations",
      criticalAttrs: (latency_ms) => ({ latency_ms, status_code: 503 }),
      errors: [
        `stock reservation failed for order ${order.id}: deadlock detected on stock_levels (retries exhausted)`,
        `stock reservation failed for order ${order.id}: lock wait timeout exceeded`,
        "warehouse API error: 502 Bad Gateway from wms.internal",
      ],
      errorAttrs: (latency_ms) => ({ latency_ms, status_code: 500, order_id: order.id }),
      status: 503,
    });
  }
  let now = t;
  if (rng.chance(0.008)) {
    now += sim.ms(500, 0.4);
    sim.log(
      hop,
      now,
      "ERROR",
      `stock reservation failed for order ${order.id}: warehouse API error 502 Bad Gateway`,
      {
        order_id: order.id,
        latency_ms: now - t,
        status_code: 502,
      },
    );
    return { t: now, status: 502 };
  }
  for (const item of order.items) {
    now += sim.ms(7);
    if (rng.chance(0.05)) {
      now += sim.ms(20);
      sim.log(hop, now, "WARNING", `optimistic lock conflict on sku=${item.sku}, retrying (attempt 2/3)`, {
        sku: item.sku,
        order_id: order.id,
        attempt: 1,
      });
    }
    if (rng.chance(0.025)) {
      sim.log(
        hop,
        now,
        "WARNING",
        `insufficient stock sku=${item.sku} requested=${item.qty} available=${rng.int(0, item.qty - 1)}`,
        { sku: item.sku, qty: item.qty, order_id: order.id, status_code: 409 },
      );
      return { t: now, status: 409 };
    }
    const warehouse = `${sim.region}${rng.pick(["a", "b", "c"])}`;
    sim.log(hop, now, "INFO", `inventory reserved sku=${item.sku} qty=${item.qty} warehouse=${warehouse}`, {
      sku: item.sku,
      qty: item.qty,
      order_id: order.id,
      latency_ms: now - t,
    });
  }
  return { t: now, status: 200 };
}

/** Give back reserved stock after a failed payment. */
export function inventoryRelease(
  sim: RequestSim,
  parent: Hop,
  t: number,
  order: OrderDraft,
  reason: string,
): Step {
  const hop = sim.hop("inventory-service", parent);
  let now = t;
  for (const item of order.items) {
    now += sim.ms(5);
    sim.log(hop, now, "INFO", `inventory released sku=${item.sku} qty=${item.qty} reason=${reason}`, {
      sku: item.sku,
      qty: item.qty,
      order_id: order.id,
    });
  }
  return { t: now, status: 200 };
}

/** Look up the stock level of one product. */
export function inventoryLookup(sim: RequestSim, parent: Hop, t: number, sku: string): Step {
  const hop = sim.hop("inventory-service", parent);
  if (sim.outage("inventory-service")) {
    const end = t + sim.ms(500, 0.6);
    sim.log(hop, end, "ERROR", `stock lookup failed sku=${sku}: warehouse API timeout after 500ms`, {
      sku,
      latency_ms: end - t,
      status_code: 504,
    });
    return { t: end, status: 504 };
  }
  const took = sim.ms(8);
  const available = sim.rng.int(0, 240);
  const level = sim.rng.chance(0.6) ? "DEBUG" : "INFO";
  sim.log(hop, t + took, level, `stock level sku=${sku} available=${available} warehouse=${sim.region}a`, {
    sku,
    available,
    latency_ms: took,
  });
  if (available < 12) {
    sim.log(hop, t + took + 1, "WARNING", `low stock sku=${sku} available=${available} (reorder point 5)`, {
      sku,
    });
  }
  return { t: t + took + 1, status: 200 };
}
