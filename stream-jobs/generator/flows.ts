import { notify, orderCreate, orderLookup } from "./checkout.ts";
import type { Rng } from "./prng.ts";
import {
  type Hop,
  type OutageCheck,
  RequestSim,
  type ServiceName,
  type TimedEvent,
  type World,
} from "./request-sim.ts";
import {
  authValidate,
  draftOrder,
  inventoryLookup,
  netMs,
  type Step,
  userGetProfile,
  userTouchLogin,
  userUpdateProfile,
} from "./services.ts";

/**
 * The kinds of request a user makes, how often, and which services each crosses. A request enters at
 * api-gateway, which validates the token with auth-service (for protected routes), calls the owning
 * service and writes one access line with the status and total latency.
 */

interface Route {
  method: string;
  path: string;
  /** OAuth scope checked by auth-service, or null for public routes. */
  scope: string | null;
}

const SLOW_REQUEST_MS = 2_000;

function accessLine(sim: RequestSim, gw: Hop, t0: number, end: number, route: Route, status: number): void {
  const latency = end - t0;
  const attrs = { method: route.method, path: route.path, status_code: status, latency_ms: latency };
  if (latency > SLOW_REQUEST_MS && status < 500) {
    sim.log(
      gw,
      end,
      "WARNING",
      `slow request ${route.method} ${route.path} took ${latency}ms (threshold ${SLOW_REQUEST_MS}ms)`,
      attrs,
    );
  }
  const level = status >= 500 ? "ERROR" : "INFO";
  sim.log(gw, end, level, `${route.method} ${route.path} ${status} in ${latency}ms`, attrs);
}

/** Run one request through the gateway: routing, rate limit, auth, the upstream call, the access line. */
function throughGateway(
  sim: RequestSim,
  route: Route,
  upstream: ServiceName,
  handler: (gw: Hop, t: number) => Step,
): void {
  const { rng } = sim;
  const t0 = sim.t0;
  const gw = sim.hop("api-gateway");
  if (rng.chance(0.15)) sim.log(gw, t0, "DEBUG", `routing ${route.method} ${route.path} -> ${upstream}`);

  if (sim.outage("api-gateway")) {
    const end = t0 + sim.ms(30, 0.8);
    const critical = rng.chance(0.15);
    sim.log(
      gw,
      end,
      critical ? "CRITICAL" : "ERROR",
      critical
        ? `no healthy upstream for ${upstream}: all endpoints failing health checks`
        : rng.pick([
            `upstream connect error for ${upstream}: connection refused`,
            `upstream ${upstream} reset the connection before headers`,
            `TLS certificate verification failed for upstream ${upstream}`,
          ]),
      { method: route.method, path: route.path },
    );
    accessLine(sim, gw, t0, end + 1, route, critical ? 503 : 502);
    return;
  }
  if (rng.chance(0.02)) {
    const client = `203.0.113.${rng.int(2, 254)}`;
    sim.log(
      gw,
      t0 + 1,
      "WARNING",
      `rate limit exceeded for client ${client} on ${route.method} ${route.path} (100 req/min)`,
      {
        client_ip: client,
      },
    );
    accessLine(sim, gw, t0, t0 + 1, route, 429);
    return;
  }

  let t = t0 + netMs(sim);
  if (route.scope) {
    const auth = authValidate(sim, gw, t, route.scope);
    t = auth.t + netMs(sim);
    if (auth.status !== 200) {
      accessLine(sim, gw, t0, t, route, auth.status);
      return;
    }
  }
  if (rng.chance(0.0008)) {
    const end = t + sim.ms(40);
    sim.log(
      gw,
      end,
      "CRITICAL",
      `worker ${rng.int(1, 8)} exceeded memory limit (512MiB) and was killed; restarting`,
      {
        method: route.method,
        path: route.path,
      },
    );
    accessLine(sim, gw, t0, end + 1, route, 502);
    return;
  }
  if (rng.chance(0.003)) {
    // The upstream hangs: the gateway gives up first and the upstream never logs an answer.
    const end = t + 5_000 + rng.int(0, 5);
    sim.log(gw, end, "ERROR", `upstream request timeout: ${upstream} did not answer within 5000ms`, {
      method: route.method,
      path: route.path,
    });
    accessLine(sim, gw, t0, end + 1, route, 504);
    return;
  }
  const result = handler(gw, t + netMs(sim));
  accessLine(sim, gw, t0, result.t + netMs(sim), route, result.status);
}

function login(sim: RequestSim, parent: Hop, t: number): Step {
  const hop = sim.hop("auth-service", parent);
  const { rng } = sim;
  if (sim.outage("auth-service")) {
    const end = t + sim.ms(800, 0.6);
    sim.log(
      hop,
      end,
      "ERROR",
      `login failed for user ${sim.userId}: credential store unreachable (users-db)`,
      {
        latency_ms: end - t,
        status_code: 503,
      },
    );
    return { t: end, status: 503 };
  }
  // Password hashing is deliberately slow, so logins take tens of milliseconds.
  const took = sim.ms(85, 0.25);
  const r = rng.next();
  if (r < 0.005) {
    sim.log(hop, t + took, "WARNING", `account locked for user ${sim.userId} after 5 failed attempts`, {
      status_code: 423,
    });
    return { t: t + took, status: 423 };
  }
  if (r < 0.08) {
    sim.log(
      hop,
      t + took,
      "WARNING",
      `login failed for user ${sim.userId}: invalid password (attempt ${rng.int(1, 4)}/5)`,
      {
        status_code: 401,
      },
    );
    return { t: t + took, status: 401 };
  }
  const mfa = rng.chance(0.4);
  sim.log(hop, t + took, "INFO", `login succeeded for user ${sim.userId} method=password mfa=${mfa}`, {
    latency_ms: took,
    mfa,
  });
  const touched = userTouchLogin(sim, hop, t + took + netMs(sim));
  if (rng.chance(0.1)) notify(sim, hop, touched.t + sim.ms(10), "new_device_sign_in");
  return { t: touched.t + netMs(sim), status: 200 };
}

function refresh(sim: RequestSim, parent: Hop, t: number): Step {
  const hop = sim.hop("auth-service", parent);
  const took = sim.ms(7);
  if (sim.outage("auth-service")) {
    sim.log(hop, t + took, "ERROR", "token refresh failed: session store unavailable (redis-auth:6379)", {
      status_code: 503,
    });
    return { t: t + took, status: 503 };
  }
  if (sim.rng.chance(0.01)) {
    sim.log(
      hop,
      t + took,
      "WARNING",
      `refresh token reuse detected for user ${sim.userId}, revoking session`,
      {
        status_code: 401,
      },
    );
    return { t: t + took, status: 401 };
  }
  sim.log(hop, t + took, "INFO", `token refreshed for user ${sim.userId} (expires_in=3600s)`, {
    latency_ms: took,
  });
  return { t: t + took, status: 200 };
}

/** A scheduled job inside one service: no gateway, no user, still one correlation id. */
function backgroundJob(sim: RequestSim): void {
  const { rng } = sim;
  const t = sim.t0;
  const job = rng.pick(["stock-sync", "digest", "key-rotation", "session-purge"] as const);
  if (job === "stock-sync") {
    const hop = sim.hop("inventory-service");
    const took = sim.ms(2_300, 0.3);
    sim.log(hop, t, "INFO", "stock sync started source=wms.internal", { job });
    sim.log(hop, t + took, "INFO", `stock sync completed: ${rng.int(200, 1_500)} SKUs updated in ${took}ms`, {
      job,
      latency_ms: took,
    });
  } else if (job === "digest") {
    const hop = sim.hop("notification-service");
    const took = sim.ms(900, 0.4);
    sim.log(hop, t + took, "INFO", `daily digest batch sent: ${rng.int(50, 900)} emails in ${took}ms`, {
      job,
      latency_ms: took,
    });
  } else if (job === "key-rotation") {
    const hop = sim.hop("auth-service");
    sim.log(hop, t, "INFO", `signing key rotated kid=${rng.hex(8)} (previous key valid for 24h)`, { job });
  } else {
    const hop = sim.hop("user-service");
    const took = sim.ms(140, 0.4);
    sim.log(hop, t + took, "DEBUG", `purged ${rng.int(0, 300)} expired sessions in ${took}ms`, {
      job,
      latency_ms: took,
    });
  }
}

type Flow = (sim: RequestSim) => void;

/** Request mix: browse-heavy, with checkouts (the longest and most failure-prone path) common enough to matter. */
const FLOWS: readonly (readonly [Flow, number])[] = [
  [
    (sim) =>
      throughGateway(
        sim,
        { method: "POST", path: "/api/v1/orders", scope: "orders:write" },
        "order-service",
        (gw, t) => orderCreate(sim, gw, t, draftOrder(sim)),
      ),
    30,
  ],
  [
    (sim) =>
      throughGateway(
        sim,
        { method: "GET", path: `/api/v1/users/${sim.userId}/profile`, scope: "profile:read" },
        "user-service",
        (gw, t) => userGetProfile(sim, gw, t),
      ),
    18,
  ],
  [
    (sim) =>
      throughGateway(
        sim,
        { method: "GET", path: `/api/v1/orders?page=${sim.rng.int(1, 4)}`, scope: "orders:read" },
        "order-service",
        (gw, t) => orderLookup(sim, gw, t, null),
      ),
    12,
  ],
  [
    (sim) => {
      const id = `ord_${sim.rng.int(100_000, 999_999)}`;
      throughGateway(
        sim,
        { method: "GET", path: `/api/v1/orders/${id}`, scope: "orders:read" },
        "order-service",
        (gw, t) => orderLookup(sim, gw, t, id),
      );
    },
    8,
  ],
  [
    (sim) =>
      throughGateway(
        sim,
        { method: "POST", path: "/api/v1/auth/login", scope: null },
        "auth-service",
        (gw, t) => login(sim, gw, t),
      ),
    8,
  ],
  [
    (sim) =>
      throughGateway(
        sim,
        { method: "POST", path: "/api/v1/auth/refresh", scope: null },
        "auth-service",
        (gw, t) => refresh(sim, gw, t),
      ),
    8,
  ],
  [
    (sim) => {
      const sku = sim.rng.pick(sim.world.skus);
      throughGateway(
        sim,
        { method: "GET", path: `/api/v1/inventory/${sku}`, scope: null },
        "inventory-service",
        (gw, t) => inventoryLookup(sim, gw, t, sku),
      );
    },
    8,
  ],
  [
    (sim) =>
      throughGateway(
        sim,
        { method: "PUT", path: `/api/v1/users/${sim.userId}/profile`, scope: "profile:write" },
        "user-service",
        (gw, t) => {
          const step = userUpdateProfile(sim, gw, t);
          if (step.status === 200 && sim.rng.chance(0.4))
            notify(sim, gw, step.t + sim.ms(10), "profile_changed");
          return step;
        },
      ),
    4,
  ],
];

/**
 * Simulate one request (or, rarely, a background job) starting at `t0`, and return its lines in the
 * order they were written. All randomness comes from `rng`, so a seed replays the same traffic.
 */
export function simulateRequest(rng: Rng, world: World, t0: number, outage: OutageCheck): TimedEvent[] {
  const kind = rng.next();
  if (kind < 0.04) {
    const sim = new RequestSim(rng, world, t0, outage, true);
    if (kind < 0.01) backgroundJob(sim);
    else {
      // Load-balancer probes: no user, nothing downstream, logged at DEBUG as real gateways do.
      sim.log(sim.hop("api-gateway"), t0 + 1, "DEBUG", "GET /healthz 200 in 1ms", {
        method: "GET",
        path: "/healthz",
        status_code: 200,
        latency_ms: 1,
      });
    }
    return sim.events.sort((a, b) => a.ts - b.ts);
  }
  const sim = new RequestSim(rng, world, t0, outage);
  rng.weighted(FLOWS)(sim);
  // Stable sort keeps causal order among lines written in the same millisecond.
  return sim.events.sort((a, b) => a.ts - b.ts);
}
