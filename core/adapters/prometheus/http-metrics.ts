/**
 * `http_requests_total{method,endpoint,status}` and `http_request_duration_seconds{method,endpoint}`,
 * counted by hand and written in the Prometheus text format (0.0.4) at scrape time.
 *
 * Why not prom-client's Counter and Histogram, like every other metric: they run on every request, and
 * prom-client hashes the label object of each observation into a key (0.6–1 µs per request for the two
 * of them, a tenth of what a cached API answer costs in all). Here a request finds its series with one
 * string key, its status with a number key, and its bucket with a short scan, all plain memory: the
 * text is built only when Prometheus asks for it.
 *
 * Label values: `endpoint` is a route pattern (bounded by the routes there are), the status a number,
 * and the method one of the HTTP methods or `OTHER`, so a client inventing methods cannot grow memory.
 */

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"]);

interface Series {
  labels: string;
  statuses: Map<number, number>;
  /** Observations per bucket, not cumulative; the last one is +Inf. */
  buckets: Float64Array;
  sum: number;
  count: number;
}

/** A label value in the text format: backslash, double quote and newline escaped. */
function labelValue(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

export class HttpMetrics {
  private readonly series = new Map<string, Series>();

  record(method: string, endpoint: string, status: number, seconds: number): void {
    const m = METHODS.has(method) ? method : "OTHER";
    const key = `${m} ${endpoint}`;
    let s = this.series.get(key);
    if (!s) {
      s = {
        labels: `method="${m}",endpoint="${labelValue(endpoint)}"`,
        statuses: new Map(),
        buckets: new Float64Array(DURATION_BUCKETS.length + 1),
        sum: 0,
        count: 0,
      };
      this.series.set(key, s);
    }
    s.statuses.set(status, (s.statuses.get(status) ?? 0) + 1);
    let i = 0;
    while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]!) i++;
    s.buckets[i]! += 1;
    s.sum += seconds;
    s.count += 1;
  }

  /** Both metric families in the Prometheus text format. */
  render(): string {
    const all = [...this.series.values()];
    const lines = [
      "# HELP http_requests_total HTTP requests by method, route pattern and status",
      "# TYPE http_requests_total counter",
    ];
    for (const s of all)
      for (const [status, n] of s.statuses)
        lines.push(`http_requests_total{${s.labels},status="${status}"} ${n}`);
    lines.push(
      "# HELP http_request_duration_seconds HTTP request latency by method and route pattern",
      "# TYPE http_request_duration_seconds histogram",
    );
    for (const s of all) {
      let cumulative = 0;
      for (let i = 0; i < DURATION_BUCKETS.length; i++) {
        cumulative += s.buckets[i]!;
        lines.push(
          `http_request_duration_seconds_bucket{le="${DURATION_BUCKETS[i]}",${s.labels}} ${cumulative}`,
        );
      }
      lines.push(`http_request_duration_seconds_bucket{le="+Inf",${s.labels}} ${s.count}`);
      lines.push(`http_request_duration_seconds_sum{${s.labels}} ${s.sum}`);
      lines.push(`http_request_duration_seconds_count{${s.labels}} ${s.count}`);
    }
    return `${lines.join("\n")}\n`;
  }
}
