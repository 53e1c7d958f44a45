import type { Level } from "../../core/level.ts";
import type { Rng } from "./prng.ts";

/** The simulated services, in the order a checkout request visits them. */
export const SERVICES = [
  "api-gateway",
  "auth-service",
  "user-service",
  "order-service",
  "inventory-service",
  "payment-service",
  "notification-service",
] as const;
export type ServiceName = (typeof SERVICES)[number];

/** Attribute values allowed by the ingest schema. */
export type AttributeValue = string | number | boolean;

/**
 * One generated log line, in the ingest input shape (`LogEventInput`), with every field filled in so
 * consumers need no optional checks.
 */
export interface TrafficEvent {
  timestamp: string;
  service: ServiceName;
  level: Level;
  message: string;
  host: string;
  correlation_id: string;
  request_id: string;
  trace_id: string;
  span_id: string;
  attributes: Record<string, AttributeValue>;
}

/** A generated line with its time as a number, so the scheduler can order lines without parsing. */
export interface TimedEvent {
  ts: number;
  event: TrafficEvent;
}

const REGIONS = [
  ["eu-west-1", 0.5],
  ["us-east-1", 0.35],
  ["ap-southeast-1", 0.15],
] as const;
export type Region = (typeof REGIONS)[number][0];

/** The fixed cast of a simulation: pods per region, users, products. Drawn once from the seed. */
export interface World {
  hosts: Record<Region, Record<ServiceName, string[]>>;
  users: string[];
  skus: string[];
}

/** Build the world from the seed: Kubernetes-style pod names, a user base, a product catalogue. */
export function createWorld(rng: Rng): World {
  const hosts = {} as Record<Region, Record<ServiceName, string[]>>;
  for (const [region] of REGIONS) {
    const perService = {} as Record<ServiceName, string[]>;
    for (const service of SERVICES) {
      const deployment = rng.hex(9);
      const replicas = service === "api-gateway" ? 3 : 2;
      perService[service] = Array.from({ length: replicas }, () => `${service}-${deployment}-${rng.hex(5)}`);
    }
    hosts[region] = perService;
  }
  const users = Array.from({ length: 400 }, () => `u_${rng.int(100, 99_999)}`);
  const skus = Array.from({ length: 120 }, () => `SKU-${rng.int(1000, 9999)}`);
  return { hosts, users, skus };
}

/** One service's part in a request: its own request id and span, and the pod that served it. */
export interface Hop {
  service: ServiceName;
  requestId: string;
  spanId: string;
  parentSpanId: string | null;
  host: string;
}

/** Decides, once per service and request, whether that service is failing (an error burst). */
export type OutageCheck = (service: ServiceName, atMs: number) => boolean;

/**
 * One simulated user request: every line it writes shares one correlation id and one trace id; each
 * service it crosses gets its own request id and span. Lines are collected, not emitted, because a
 * request's lines are written over several hundred milliseconds and the scheduler releases them in time.
 */
export class RequestSim {
  readonly events: TimedEvent[] = [];
  readonly correlationId: string;
  readonly traceId: string;
  readonly region: Region;
  readonly userId: string;
  private readonly outages = new Map<ServiceName, boolean>();

  constructor(
    readonly rng: Rng,
    readonly world: World,
    readonly t0: number,
    private readonly outageCheck: OutageCheck,
    /** Background jobs act for no user, so their lines carry no user_id. */
    readonly system = false,
  ) {
    this.correlationId = rng.uuid();
    this.traceId = rng.hex(32);
    this.region = rng.weighted(REGIONS);
    this.userId = rng.pick(world.users);
  }

  /** Enter a service, as a child span of `parent` when given. */
  hop(service: ServiceName, parent?: Hop): Hop {
    return {
      service,
      requestId: `req_${this.rng.hex(16)}`,
      spanId: this.rng.hex(16),
      parentSpanId: parent?.spanId ?? null,
      host: this.rng.pick(this.world.hosts[this.region][service]),
    };
  }

  /** Whether `service` is failing for this request; stable within the request. */
  outage(service: ServiceName): boolean {
    let down = this.outages.get(service);
    if (down === undefined) {
      down = this.outageCheck(service, this.t0);
      this.outages.set(service, down);
    }
    return down;
  }

  /** A latency in whole milliseconds, log-normally spread around `median`. */
  ms(median: number, sigma = 0.45): number {
    return Math.max(1, Math.round(this.rng.logNormal(median, sigma)));
  }

  /**
   * `hop`'s service failing hard (an outage), `o.took` ms after `t`: now and then (`criticalChance`) the
   * one CRITICAL line of a service that gave up, otherwise one of `errors`; the attributes are given the
   * latency. The caller answers `o.status` at the time returned.
   */
  failHard(
    hop: Hop,
    t: number,
    o: {
      took: number;
      criticalChance: number;
      critical: string;
      /** None: the CRITICAL line carries only the request's own attributes. */
      criticalAttrs?: (latencyMs: number) => Record<string, AttributeValue>;
      errors: readonly string[];
      errorAttrs: (latencyMs: number) => Record<string, AttributeValue>;
      status: number;
    },
  ): { t: number; status: number } {
    const end = t + o.took;
    if (this.rng.chance(o.criticalChance))
      this.log(hop, end, "CRITICAL", o.critical, o.criticalAttrs?.(end - t));
    else this.log(hop, end, "ERROR", this.rng.pick(o.errors), o.errorAttrs(end - t));
    return { t: end, status: o.status };
  }

  /** Write one line for `hop` at time `t`. */
  log(hop: Hop, t: number, level: Level, message: string, attrs: Record<string, AttributeValue> = {}): void {
    const attributes: Record<string, AttributeValue> = this.system
      ? { region: this.region, ...attrs }
      : { region: this.region, user_id: this.userId, ...attrs };
    if (hop.parentSpanId) attributes.parent_span_id = hop.parentSpanId;
    this.events.push({
      ts: t,
      event: {
        timestamp: new Date(t).toISOString(),
        service: hop.service,
        level,
        message,
        host: hop.host,
        correlation_id: this.correlationId,
        request_id: hop.requestId,
        trace_id: this.traceId,
        span_id: hop.spanId,
        attributes,
      },
    });
  }
}
