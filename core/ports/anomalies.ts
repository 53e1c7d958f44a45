import type { Anomaly, Metric, RecordedAnomaly, Severity } from "../anomaly/schema.ts";

export interface AnomalyQuery {
  /** Inclusive bounds on detected_at (epoch ms). */
  from?: number;
  to?: number;
  /** At least this severity. */
  minSeverity?: Severity;
  /** These services only (an anomaly of all services together has service null and matches none). */
  services?: string[];
  metric?: Metric;
  limit: number;
  offset?: number;
}

/** One count an anomaly alert rule asks for: anomalies in [from, to] of at least a severity. */
export interface AnomalyCount {
  from: number;
  to: number;
  minSeverity: Severity;
  /** Empty: every service, and all services together. */
  services: string[];
}

/** Where detected anomalies are kept (the `anomalies` table). */
export interface AnomalyRepo {
  /**
   * Keep these. A point already recorded (same metric, service and minute) is kept once, updated with
   * the later finding (which saw more of what followed it). Returns how many were new.
   */
  record(anomalies: Anomaly[]): Promise<number>;
  /** Newest first. */
  list(q: AnomalyQuery): Promise<{ anomalies: RecordedAnomaly[]; total: number }>;
  /** Many counts at once, in order (one per anomaly alert rule of a tick). */
  countMany(counts: AnomalyCount[]): Promise<number[]>;
  deleteOlderThan(cutoff: number): Promise<number>;
}
