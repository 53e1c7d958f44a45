import type { Hop, RequestSim } from "./request-sim.ts";
import { inventoryRelease, inventoryReserve, netMs, type OrderDraft, type Step } from "./services.ts";

/**
 * The checkout path: order-service orchestrates inventory and payment, then hands the confirmation to
 * notification-service. This is where most of the interesting failures live (declines, provider
 * timeouts with retries, cascading 5xx), so it gets its own file.
 */

const PROVIDER_TIMEOUT_MS = 3_000;

/** Authorize a card payment, retrying provider timeouts up to three attempts. */
export function paymentAuthorize(sim: RequestSim, parent: Hop, t: number, order: OrderDraft): Step {
  const hop = sim.hop("payment-service", parent);
  const { rng } = sim;
  const provider = rng.weighted([
    ["stripe", 0.6],
    ["adyen", 0.4],
  ] as const);
  const money = `amount=${order.amount} ${order.currency}`;
  const attrs = { order_id: order.id, amount: Number(order.amount), currency: order.currency, provider };
  if (rng.chance(0.3))
    sim.log(hop, t + 1, "DEBUG", `authorizing payment for order ${order.id} ${money} provider=${provider}`);

  const failing = sim.outage("payment-service") || rng.chance(0.008);
  if (failing) {
    return sim.failHard(hop, t, {
      took: sim.ms(2_500, 0.4),
      criticalChance: 0.15,
      critical: `circuit breaker OPEN for provider ${provider}: failure rate above 50% in the last 60s`,
      criticalAttrs: (latency_ms) => ({ ...attrs, latency_ms, status_code: 503 }),
      errors: [
        `payment authorization failed for order ${order.id}: provider ${provider} returned 503`,
        `payment authorization failed for order ${order.id}: connection refused by ${provider} API`,
        `payment authorization failed for order ${order.id}: TLS handshake timeout to ${provider} API`,
      ],
      errorAttrs: (latency_ms) => ({ ...attrs, latency_ms, status_code: 502 }),
      status: 502,
    });
  }

  let now = t;
  const timeouts = rng.chance(0.05)
    ? rng.weighted([
        [1, 6],
        [2, 3],
        [3, 1],
      ] as const)
    : 0;
  for (let attempt = 1; attempt <= timeouts; attempt++) {
    now += PROVIDER_TIMEOUT_MS + rng.int(0, 40);
    if (attempt < 3) {
      sim.log(
        hop,
        now,
        "WARNING",
        `payment provider ${provider} timeout after ${PROVIDER_TIMEOUT_MS}ms, retrying (attempt ${attempt + 1}/3)`,
        {
          ...attrs,
          attempt,
        },
      );
      now += 100 * 2 ** attempt;
    } else {
      sim.log(
        hop,
        now,
        "ERROR",
        `payment authorization failed for order ${order.id}: provider timeout after 3 attempts`,
        {
          ...attrs,
          latency_ms: now - t,
          status_code: 504,
        },
      );
      return { t: now, status: 504 };
    }
  }

  const providerMs = sim.ms(180, 0.5);
  now += providerMs;
  if (providerMs > 600 || rng.chance(0.02)) {
    sim.log(hop, now, "WARNING", `payment provider ${provider} slow: ${providerMs}ms (budget 600ms)`, {
      ...attrs,
      latency_ms: providerMs,
    });
  }
  if (rng.chance(0.05)) {
    const reason = rng.pick([
      "insufficient_funds",
      "card_declined",
      "expired_card",
      "do_not_honor",
      "fraud_suspected",
    ]);
    sim.log(hop, now, "WARNING", `card declined for order ${order.id}: ${reason} (provider=${provider})`, {
      ...attrs,
      decline_reason: reason,
      latency_ms: now - t,
      status_code: 402,
    });
    return { t: now, status: 402 };
  }
  sim.log(
    hop,
    now,
    "INFO",
    `payment authorized for order ${order.id} ${money} auth_code=${rng.hex(6).toUpperCase()}`,
    {
      ...attrs,
      latency_ms: now - t,
    },
  );
  return { t: now, status: 200 };
}

/** Queue and deliver a notification. Runs after the response, so its failures never reach the user. */
export function notify(sim: RequestSim, parent: Hop, t: number, template: string): Step {
  const hop = sim.hop("notification-service", parent);
  const { rng } = sim;
  const channel = rng.weighted([
    ["email", 0.7],
    ["push", 0.2],
    ["sms", 0.1],
  ] as const);
  if (sim.outage("notification-service")) {
    return sim.failHard(hop, t, {
      took: sim.ms(400, 0.6),
      criticalChance: 0.12,
      critical: "dead-letter queue full (10000 messages); dropping notifications",
      criticalAttrs: () => ({ channel, template }),
      errors: [
        `${channel} delivery failed for user ${sim.userId}: provider returned 503 Service Unavailable`,
        "notification queue unavailable: AMQP connection closed by broker",
        `${channel} delivery failed for user ${sim.userId}: request timed out after 10000ms`,
      ],
      errorAttrs: () => ({ channel, template, status_code: 503 }),
      status: 503,
    });
  }
  sim.log(hop, t, "INFO", `${channel} notification queued for user ${sim.userId} template=${template}`, {
    channel,
    template,
  });
  const took = sim.ms(140, 0.6);
  const r = rng.next();
  if (r < 0.06) {
    const why = {
      email: "SMTP 451 temporary failure",
      push: "FCM quota exceeded (429)",
      sms: "carrier throttling (Twilio 429)",
    }[channel];
    sim.log(
      hop,
      t + took,
      "WARNING",
      `${channel} to user ${sim.userId} deferred: ${why}, retry scheduled in 30s`,
      {
        channel,
        template,
        latency_ms: took,
      },
    );
    return { t: t + took, status: 202 };
  }
  if (r < 0.075) {
    const why = {
      email: "mailbox unavailable (SMTP 550)",
      push: "invalid device token (APNs 410)",
      sms: "unreachable destination handset (Twilio 30003)",
    }[channel];
    sim.log(hop, t + took, "ERROR", `${channel} delivery failed for user ${sim.userId}: ${why}`, {
      channel,
      template,
      latency_ms: took,
    });
    return { t: t + took, status: 410 };
  }
  const via = { email: "ses", push: "fcm", sms: "twilio" }[channel];
  sim.log(
    hop,
    t + took,
    "INFO",
    `${channel} sent to user ${sim.userId} via ${via} template=${template} in ${took}ms`,
    {
      channel,
      template,
      latency_ms: took,
    },
  );
  return { t: t + took, status: 200 };
}

/** Create an order: reserve stock, take payment, confirm, and notify. */
export function orderCreate(sim: RequestSim, parent: Hop, t: number, order: OrderDraft): Step {
  const hop = sim.hop("order-service", parent);
  const { rng } = sim;
  const attrs = {
    order_id: order.id,
    items: order.items.length,
    amount: Number(order.amount),
    currency: order.currency,
  };
  let now = t + 1;
  if (sim.outage("order-service") || rng.chance(0.008)) {
    const end = now + sim.ms(1_200, 0.6);
    sim.log(
      hop,
      end,
      rng.chance(0.12) ? "CRITICAL" : "ERROR",
      rng.pick([
        `order ${order.id} could not be saved: database connection reset (pool=orders-db)`,
        `order ${order.id} could not be saved: outbox table write timeout after 1000ms`,
        "orders-db primary unreachable; writes failing",
      ]),
      { ...attrs, latency_ms: end - t, status_code: 500 },
    );
    return { t: end, status: 500 };
  }
  sim.log(
    hop,
    now,
    "INFO",
    `creating order ${order.id} for user ${sim.userId} items=${order.items.length} total=${order.amount} ${order.currency}`,
    attrs,
  );

  const reserved = inventoryReserve(sim, hop, now + netMs(sim), order);
  now = reserved.t + netMs(sim);
  if (reserved.status === 409) {
    sim.log(hop, now, "INFO", `order ${order.id} rejected: item out of stock`, {
      ...attrs,
      status_code: 409,
    });
    return { t: now, status: 409 };
  }
  if (reserved.status >= 500) {
    sim.log(hop, now, "ERROR", `order ${order.id} failed: inventory-service returned ${reserved.status}`, {
      ...attrs,
      latency_ms: now - t,
      status_code: 502,
    });
    return { t: now, status: 502 };
  }

  if (Number(order.amount) > 250 && rng.chance(0.5)) {
    sim.log(
      hop,
      now + 2,
      "WARNING",
      `order ${order.id} amount ${order.amount} ${order.currency} above review threshold, flagged for fraud review`,
      attrs,
    );
  }
  const paid = paymentAuthorize(sim, hop, now + netMs(sim), order);
  now = paid.t + netMs(sim);
  if (paid.status !== 200) {
    const declined = paid.status === 402;
    inventoryRelease(sim, hop, now, order, declined ? "payment_declined" : "payment_failed");
    now += sim.ms(12);
    if (declined) {
      sim.log(hop, now, "INFO", `order ${order.id} cancelled: payment declined`, {
        ...attrs,
        status_code: 402,
      });
      return { t: now, status: 402 };
    }
    sim.log(hop, now, "ERROR", `order ${order.id} failed: payment-service returned ${paid.status}`, {
      ...attrs,
      latency_ms: now - t,
      status_code: 502,
    });
    return { t: now, status: 502 };
  }

  now += sim.ms(6);
  sim.log(hop, now, "INFO", `order ${order.id} confirmed status=paid`, {
    ...attrs,
    latency_ms: now - t,
    status_code: 201,
  });
  // Fire-and-forget: the confirmation is sent after the order answered, so it may log after the gateway.
  notify(sim, hop, now + sim.ms(15), "order_confirmed");
  return { t: now, status: 201 };
}

/** Read one order, or list the user's orders when `orderId` is null. */
export function orderLookup(sim: RequestSim, parent: Hop, t: number, orderId: string | null): Step {
  const hop = sim.hop("order-service", parent);
  const { rng } = sim;
  if (sim.outage("order-service") || rng.chance(0.01)) {
    const end = t + sim.ms(1_000, 0.6);
    sim.log(
      hop,
      end,
      "ERROR",
      "database query failed: connection reset by peer (pool=orders-db, query=list_orders)",
      {
        latency_ms: end - t,
        status_code: 500,
      },
    );
    return { t: end, status: 500 };
  }
  const slow = rng.chance(0.04);
  const took = slow ? sim.ms(1_400, 0.3) : sim.ms(18);
  if (slow)
    sim.log(hop, t + took, "WARNING", `slow query list_orders took ${took}ms (threshold 500ms)`, {
      latency_ms: took,
    });
  if (orderId === null) {
    const n = rng.int(0, 25);
    sim.log(hop, t + took, "INFO", `listed ${n} orders for user ${sim.userId} in ${took}ms`, {
      count: n,
      latency_ms: took,
    });
    return { t: t + took, status: 200 };
  }
  if (rng.chance(0.03)) {
    sim.log(hop, t + took, "INFO", `order ${orderId} not found for user ${sim.userId}`, {
      order_id: orderId,
      status_code: 404,
    });
    return { t: t + took, status: 404 };
  }
  const status = rng.pick(["paid", "packed", "shipped", "delivered", "delivered", "cancelled"]);
  sim.log(hop, t + took, "INFO", `order ${orderId} fetched status=${status}`, {
    order_id: orderId,
    latency_ms: took,
  });
  return { t: t + took, status: 200 };
}
