import { describe, expect, test } from "bun:test";
import { parsePrometheus } from "../../../tests/helpers/prometheus.ts";
import { HttpMetrics } from "./http-metrics.ts";

/** "name{labels}" → value, for every sample of the exposition. */
function samples(text: string): Map<string, number> {
  return new Map(parsePrometheus(text).map((s) => [`${s.name}${s.labels}`, s.value]));
}

describe("HttpMetrics", () => {
  test("counts by method, endpoint and status; buckets are cumulative and a bound is inclusive", () => {
    const m = new HttpMetrics();
    m.record("GET", "/a", 200, 0.0005);
    m.record("GET", "/a", 200, 0.005); // exactly on the 0.005 bound: counted in it
    m.record("GET", "/a", 404, 0.2);
    m.record("POST", "/b", 201, 10);
    const s = samples(m.render());
    const a = 'method="GET",endpoint="/a"';
    expect(s.get(`http_requests_total{${a},status="200"}`)).toBe(2);
    expect(s.get(`http_requests_total{${a},status="404"}`)).toBe(1);
    expect(s.get(`http_request_duration_seconds_bucket{le="0.001",${a}}`)).toBe(1);
    expect(s.get(`http_request_duration_seconds_bucket{le="0.0025",${a}}`)).toBe(1);
    expect(s.get(`http_request_duration_seconds_bucket{le="0.005",${a}}`)).toBe(2);
    expect(s.get(`http_request_duration_seconds_bucket{le="0.1",${a}}`)).toBe(2);
    expect(s.get(`http_request_duration_seconds_bucket{le="0.25",${a}}`)).toBe(3);
    expect(s.get(`http_request_duration_seconds_bucket{le="+Inf",${a}}`)).toBe(3);
    expect(s.get(`http_request_duration_seconds_count{${a}}`)).toBe(3);
    expect(s.get(`http_request_duration_seconds_sum{${a}}`)).toBeCloseTo(0.2055, 10);
    const b = 'method="POST",endpoint="/b"';
    expect(s.get(`http_request_duration_seconds_bucket{le="5",${b}}`)).toBe(0);
    expect(s.get(`http_request_duration_seconds_bucket{le="+Inf",${b}}`)).toBe(1);
  });

  test("invented methods share one OTHER series, so they cannot grow memory", () => {
    const m = new HttpMetrics();
    for (let i = 0; i < 100; i++) m.record(`X${i}`, "unmatched", 404, 0.001);
    const lines = m.render().split("\n");
    expect(lines.filter((l) => l.startsWith("http_requests_total{"))).toEqual([
      'http_requests_total{method="OTHER",endpoint="unmatched",status="404"} 100',
    ]);
  });

  test("label values are escaped", () => {
    const m = new HttpMetrics();
    m.record("GET", 'a"b\\c\nd', 200, 0.01);
    const s = samples(m.render());
    expect(s.get('http_requests_total{method="GET",endpoint="a\\"b\\\\c\\nd",status="200"}')).toBe(1);
  });
});
