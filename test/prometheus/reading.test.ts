import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { evidenceBundleSchema } from "@/lib/cluster/bundle";
import { chooseStep } from "@/lib/prometheus/client";
import { formatBytes, formatCores, formatDuration } from "@/lib/prometheus/format";
import { matcher, promqlString } from "@/lib/prometheus/promql";
import { alertExpression, guessExprUnit, prometheusFromGeneratorURL, vitalsQueries } from "@/lib/prometheus/queries";
import { MAX_LINE_LENGTH, MAX_SUMMARY_LINES, readMetrics, renderMetricsSummary } from "@/lib/prometheus/reading";
import { bundleMetricsSchema, type BundleMetrics, type MetricsSeries, type SeriesId, type SeriesUnit } from "@/lib/prometheus/schema";
import { counterIncreases, findSteps, leastSquares, parseSamples } from "@/lib/prometheus/stats";
import { vitalsWindow } from "@/lib/prometheus/vitals";

const GiB = 2 ** 30;
const STEP = 60;
const START = Date.UTC(2026, 11, 6, 9, 40) / 1000;
const N = 181; // three hours of one-minute points

function series(id: SeriesId, unit: SeriesUnit, f: (i: number) => number | string, labels: Record<string, string> = {}, start = START): MetricsSeries {
  const values: Array<[number, string]> = [];
  for (let i = 0; i < N; i++) {
    const v = f(i);
    values.push([start + i * STEP, typeof v === "string" ? v : String(v)]);
  }
  return { id, unit, query: `q_${id}`, labels, values };
}

function bundle(list: MetricsSeries[], start = START): BundleMetrics {
  return bundleMetricsSchema.parse({ source: "http://prometheus:9090", start, end: start + (N - 1) * STEP, stepSeconds: STEP, series: list });
}

/** Deterministic noise in [-1, 1]. */
const noise = (i: number) => Math.sin(i * 12.9898) * 0.999;

describe("the metrics summary lines", () => {
  it("reads memory against its limit as the issue's example line, with the projection", () => {
    // 26.1 GiB at 09:40, +1.3 GiB/h: 30 GiB at 12:40.
    const m = bundle([
      series("memory_working_set", "bytes", (i) => (26.1 + (1.3 * i) / 60) * GiB, { container: "vllm" }),
      series("memory_limit", "bytes", () => 32 * GiB, { container: "vllm" }),
    ]);
    const r = readMetrics(m);
    expect(r.header).toBe("metrics from http://prometheus:9090, 2026-12-06 09:40 to 12:40 UTC (3 h), one point per 60 s");
    expect(r.lines).toContain("memory working set 30 GiB of 32 GiB limit (94%), rising 1.3 GiB/h since 09:40; min 26.1 GiB, max 30 GiB");
    expect(r.lines).toContain("memory working set reaches its 32 GiB limit in about 1.5 h at this rate (around 14:12)");
    const mem = r.series.find((s) => s.id === "memory_working_set");
    expect(mem?.trend?.slopePerHour).toBeCloseTo(1.3 * GiB, -3);
    expect(mem?.fractionOfLimit).toBeCloseTo(30 / 32, 6);
    expect(renderMetricsSummary(r).split("\n")[1]).toBe(`- ${r.lines[0]}`);
  });

  it("fits the trend since the last step change, and reports the step", () => {
    // Flat at 12 GiB, a rollout at 11:00 steps it to 16 GiB, then it climbs 2 GiB/h.
    const m = bundle([series("memory_working_set", "bytes", (i) => (i < 80 ? 12 : 16 + (2 * (i - 80)) / 60) * GiB)]);
    const r = readMetrics(m);
    expect(r.lines).toContain("memory working set stepped up 4 GiB at 11:00 (12 GiB to 16 GiB)");
    const mem = r.series[0];
    expect(mem?.trend?.since).toBe(START + 80 * STEP);
    expect(mem?.trend?.slopePerHour).toBeCloseTo(2 * GiB, -3);
  });

  it("counts restarts across a counter reset, and calls a restart below the limit 'not memory'", () => {
    const restarts = [0, 0, 1, 1, 0, 0, 2];
    const m = bundle([
      series("restarts", "count", (i) => restarts[Math.min(restarts.length - 1, Math.floor(i / 30))] ?? 0),
      series("memory_working_set", "bytes", () => 4 * GiB),
      series("memory_limit", "bytes", () => 16 * GiB),
    ]);
    const r = readMetrics(m);
    // 0 -> 1 (+1), 1 -> 0 is a reset (no growth), 0 -> 2 (+2).
    expect(r.series.find((s) => s.id === "restarts")?.increases.map((x) => x.by)).toEqual([1, 2]);
    expect(r.lines).toContain("restarts: 3 in the window, at 10:40, 12:40; 2 in total");
    expect(r.findings.filter((f) => f.kind === "restart_below_limit").map((f) => f.line)).toEqual([
      "restart at 10:40 with memory working set at 4 GiB of 16 GiB limit (25%) just before: not memory",
      "restart at 12:40 with memory working set at 4 GiB of 16 GiB limit (25%) just before: not memory",
    ]);
  });

  it("tells a leak from load, and says when it cannot", () => {
    const rising = series("memory_working_set", "bytes", (i) => (10 + i / 30) * GiB);
    const flat = series("request_rate", "requests", (i) => 5 + 0.05 * noise(i));
    const growing = series("request_rate", "requests", (i) => 2 + i / 20);
    expect(readMetrics(bundle([rising, flat])).findings.map((f) => f.kind)).toContain("memory_leak");
    expect(readMetrics(bundle([rising, growing])).findings.map((f) => f.kind)).toContain("load_growth");
    expect(readMetrics(bundle([rising])).lines).toContain("memory working set rising 2 GiB/h since 09:40; no request-rate series to tell a leak from load");
  });

  it("tells throttling at the limit from bursts under it", () => {
    const limit = series("cpu_limit", "cores", () => 2);
    const throttled = series("cpu_throttled_ratio", "ratio", () => 0.4);
    const atLimit = readMetrics(bundle([series("cpu_usage", "cores", () => 1.9), limit, throttled]));
    expect(atLimit.lines[0]).toBe("CPU throttled in 40% of periods at 1.9 cores of 2 cores limit on average (95%): the limit is too low for the load (the node's free CPU was not read)");
    const bursts = readMetrics(bundle([series("cpu_usage", "cores", () => 0.6), limit, throttled]));
    expect(bursts.lines[0]).toBe("CPU throttled in 40% of periods though usage averages 0.6 cores of 2 cores limit on average (30%): short bursts hit the limit");
  });

  it("leaves NaN and ±Inf out of every figure, and reports gaps", () => {
    const m = bundle([
      series("memory_working_set", "bytes", (i) => (i % 10 === 3 ? "NaN" : i === 50 ? "+Inf" : i === 51 ? "-Inf" : 8 * GiB)),
      { ...series("cpu_usage", "cores", () => 1), values: series("cpu_usage", "cores", () => 1).values.filter((_, i) => i < 60 || i > 90) },
      series("gpu_util", "percent", () => "NaN"),
    ]);
    const r = readMetrics(m);
    const mem = r.series.find((s) => s.id === "memory_working_set");
    expect(mem?.max?.v).toBe(8 * GiB);
    expect(mem?.nonFinite).toBe(20);
    expect(r.lines).toContain("memory working set 8 GiB, flat");
    expect(r.lines).toContain("GPU utilisation has no finite value in the window (181 NaN/Inf samples)");
    expect(r.lines.find((l) => l.startsWith("gaps in"))).toBe(
      "gaps in CPU usage (31 min missing); 201 NaN/Inf samples left out (memory working set, GPU utilisation)",
    );
  });

  it("stays bounded for the largest bundle, and names series apart", () => {
    const list: MetricsSeries[] = [];
    for (let c = 0; c < 16; c++) {
      const container = `c${c}-${"x".repeat(200)}`;
      list.push(series("memory_working_set", "bytes", (i) => (c + 1 + i / 60) * GiB, { container }));
      list.push(series("memory_limit", "bytes", () => 40 * GiB, { container }));
      list.push(series("cpu_usage", "cores", (i) => (i < 90 ? 0.5 : 1.5), { container }));
      list.push(series("restarts", "count", (i) => Math.floor(i / 40), { container }));
    }
    const r = readMetrics(bundle(list));
    expect(r.lines.length).toBe(MAX_SUMMARY_LINES);
    for (const l of r.lines) expect(l.length).toBeLessThanOrEqual(MAX_LINE_LENGTH);
    expect(r.lines.some((l) => l.startsWith("memory working set (container c3-xxxx"))).toBe(true);
    expect(r.findings.filter((f) => f.kind === "restart_below_limit").length).toBeLessThanOrEqual(8);
  });

  it("is deterministic: the same metrics give the same lines", () => {
    const m = bundle([series("memory_working_set", "bytes", (i) => (5 + noise(i)) * GiB), series("request_rate", "requests", (i) => 3 + noise(i + 7))]);
    expect(readMetrics(m).lines).toEqual(readMetrics(structuredClone(m)).lines);
  });
});

describe("the bundle's metrics part", () => {
  it("is bounded: series, points and label sizes past the limits are refused", () => {
    const one = series("memory_working_set", "bytes", () => GiB);
    const ok = (list: unknown[]) => bundleMetricsSchema.safeParse({ source: "x", start: START, end: START + 3600, stepSeconds: 60, series: list }).success;
    expect(ok([one])).toBe(true);
    expect(ok(Array.from({ length: 64 }, () => one))).toBe(true);
    expect(ok(Array.from({ length: 65 }, () => one))).toBe(false);
    expect(ok([{ ...one, values: Array.from({ length: 1201 }, (_, i) => [START + i, "1"]) }])).toBe(false);
    expect(ok([{ ...one, labels: { container: "x".repeat(257) } }])).toBe(false);
    expect(ok([{ ...one, id: "disk_usage" }])).toBe(false);
    expect(ok([{ ...one, unit: "furlongs" }])).toBe(false);
    expect(ok([{ ...one, values: [[START, 1]] }])).toBe(false);
  });

  it("rides in the evidence bundle, with failures under part metrics; a bundle without it parses as before", () => {
    const b = evidenceBundleSchema.parse({
      alert: { labels: { alertname: "ModelHighMemoryUsage" } },
      metrics: bundle([series("memory_working_set", "bytes", () => GiB)]),
      errors: [{ part: "metrics", code: "timeout", message: "metrics could not be read: ..." }],
    });
    expect(b.metrics?.series[0]?.values[0]).toEqual([START, String(GiB)]);
    expect(evidenceBundleSchema.parse({ alert: { labels: {} } }).metrics).toBeUndefined();
  });
});

describe("properties of the reading", () => {
  const level = fc.double({ min: 1, max: 1e12, noNaN: true });

  it("a flat series (noise under 1 %) has no trend, no step and no projection", () => {
    fc.assert(
      fc.property(level, fc.double({ min: 0, max: 0.01, noNaN: true }), fc.integer({ min: 0, max: 1000 }), (base, amp, seed) => {
        const m = bundle([
          series("memory_working_set", "bytes", (i) => base * (1 + amp * noise(i + seed))),
          series("memory_limit", "bytes", () => base * 1.5),
        ]);
        const r = readMetrics(m);
        const mem = r.series[0];
        expect(mem?.trend?.direction).toBe("flat");
        expect(mem?.steps).toEqual([]);
        expect(mem?.limitReachedAt).toBeUndefined();
        expect(r.findings.some((f) => ["step", "projection", "memory_leak", "memory_rising"].includes(f.kind))).toBe(false);
      }),
    );
  });

  it("a series shifted in time keeps its slope, trend and shape", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e9, max: 1e9, noNaN: true }),
        fc.integer({ min: -50_000, max: 50_000 }),
        fc.integer({ min: 0, max: 1000 }),
        (slope, shiftSteps, seed) => {
          const f = (i: number) => 40 * GiB + (slope * i) / 60 + 1e6 * noise(i + seed);
          const a = readMetrics(bundle([series("memory_working_set", "bytes", f)])).series[0];
          const shifted = START + shiftSteps * STEP;
          const b = readMetrics(bundle([series("memory_working_set", "bytes", f, {}, shifted)], shifted)).series[0];
          expect(b?.trend?.direction).toBe(a?.trend?.direction);
          expect(b?.trend?.slopePerHour).toBeCloseTo(a?.trend?.slopePerHour ?? NaN, 0);
          expect((b?.trend?.since ?? 0) - shifted).toBe((a?.trend?.since ?? 0) - START);
          expect(b?.steps.length).toBe(a?.steps.length);
        },
      ),
    );
  });

  it("a steady ramp has no step change, whatever its slope", () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 1e9, noNaN: true }), (slope, base) => {
        const points = Array.from({ length: 200 }, (_, i) => ({ t: START + i * STEP, v: base + slope * i }));
        expect(findSteps(points)).toEqual([]);
      }),
    );
  });

  it("least squares recovers an exact line", () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: -1e9, max: 1e9, noNaN: true }), (a, b) => {
        const fit = leastSquares(Array.from({ length: 50 }, (_, i) => ({ t: START + i * 15, v: b + a * i * 15 })));
        expect(fit?.slope).toBeCloseTo(a, 3);
      }),
    );
  });

  it("counter increases never go negative and add up to the growth without resets", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 5 }), { minLength: 2, maxLength: 100 }), (deltas) => {
        let v = 0;
        const points = deltas.map((d, i) => ({ t: i, v: (v += d) }));
        const inc = counterIncreases(points);
        expect(inc.every((x) => x.by > 0)).toBe(true);
        expect(inc.reduce((n, x) => n + x.by, 0)).toBe(v - (deltas[0] ?? 0));
      }),
    );
  });

  it("parses Prometheus's value strings", () => {
    expect(parseSamples([[1, "1e+21"], [2, "NaN"], [3, "+Inf"], [4, "-Inf"], [5, "0.5"], [6, ""]])).toEqual({
      points: [{ t: 1, v: 1e21 }, { t: 5, v: 0.5 }],
      nonFinite: 4,
    });
  });
});

describe("queries and PromQL escaping", () => {
  /** Go's rules for a double-quoted PromQL string: where it ends, and what it holds. */
  function unquote(q: string): { value: string; rest: string } {
    if (q[0] !== '"') throw new Error("no opening quote");
    let value = "";
    for (let i = 1; i < q.length; i++) {
      const c = q[i];
      if (c === "\n") throw new Error("raw newline: unterminated quoted string");
      if (c === '"') return { value, rest: q.slice(i + 1) };
      if (c === "\\") {
        const e = q[++i];
        value += e === "n" ? "\n" : e === "r" ? "\r" : e === "t" ? "\t" : (e ?? "");
        continue;
      }
      value += c;
    }
    throw new Error("unterminated quoted string");
  }

  it("property: an escaped value is one string literal holding exactly the value", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (v) => {
        const lit = promqlString(v);
        const { value, rest } = unquote(lit);
        expect(rest).toBe("");
        expect(value).toBe(v);
        expect(lit).not.toMatch(/[\n\r]/);
      }),
    );
  });

  it("every query names the pod through escaped matchers", () => {
    const qs = vitalsQueries({ namespace: "ml", pod: 'p"} or vector(1)', container: "c" }, { stepSeconds: 60 });
    expect(qs.map((q) => q.id)).toEqual([
      "memory_working_set", "memory_limit", "memory_request", "cpu_usage", "cpu_limit", "cpu_request", "cpu_throttled_ratio", "restarts",
      "gpu_memory_used", "gpu_memory_free", "gpu_util", "gpu_xid", "requests_running", "requests_waiting", "kv_cache_usage", "request_rate", "request_errors",
    ]);
    for (const q of qs) {
      expect(q.query).toContain(matcher("pod", 'p"} or vector(1)').replace(/^pod/, ""));
      expect(q.query).not.toContain('pod="p"}');
    }
    expect(() => matcher("bad-name", "x")).toThrow(/not a PromQL label name/);
  });

  it("uses the exporters' names and units", () => {
    const q = Object.fromEntries(vitalsQueries({ namespace: "ml", pod: "p" }, { stepSeconds: 60 }).map((x) => [x.id, x]));
    expect(q.memory_working_set?.query).toBe('max by (namespace, pod, container) (container_memory_working_set_bytes{namespace="ml",pod="p",container!="",container!="POD",image!=""})');
    expect(q.memory_limit?.query).toContain('kube_pod_container_resource_limits{namespace="ml",pod="p",resource="memory"}');
    expect(q.cpu_throttled_ratio?.query).toContain("container_cpu_cfs_throttled_periods_total");
    expect(q.cpu_throttled_ratio?.query).toContain("[300s]");
    expect(q.gpu_memory_used?.query).toContain("DCGM_FI_DEV_FB_USED");
    expect(q.gpu_memory_used?.query).toContain("* 1048576");
    expect(q.gpu_memory_used?.query).toContain('exported_namespace="ml",exported_pod="p"');
    expect(q.requests_waiting?.query).toContain("vllm:num_requests_waiting");
    expect(q.requests_waiting?.query).toContain("tgi_queue_size");
    expect(q.requests_waiting?.query).toContain("nv_inference_pending_request_count");
    expect(q.kv_cache_usage?.unit).toBe("ratio");
    expect(q.gpu_util?.unit).toBe("percent");
  });

  it("takes the alert's expression and the Prometheus from generatorURL", () => {
    const g = "http://prometheus.monitoring.svc:9090/graph?g0.expr=" + encodeURIComponent('rate(x_total{a="b"}[5m]) / y > 0.9') + "&g0.tab=1";
    expect(alertExpression(g)).toBe('rate(x_total{a="b"}[5m]) / y > 0.9');
    expect(prometheusFromGeneratorURL(g)).toBe("http://prometheus.monitoring.svc:9090");
    expect(prometheusFromGeneratorURL("https://example.com/prom/graph?g0.expr=up")).toBe("https://example.com/prom");
    expect(prometheusFromGeneratorURL("javascript:alert(1)")).toBeUndefined();
    expect(prometheusFromGeneratorURL(undefined)).toBeUndefined();
    expect(guessExprUnit("container_memory_working_set_bytes / kube_pod_container_resource_limits > 0.9")).toBe("ratio");
    expect(guessExprUnit("100 * rate(container_cpu_cfs_throttled_periods_total[5m]) / rate(container_cpu_cfs_periods_total[5m]) > 25")).toBe("percent");
    expect(guessExprUnit("container_memory_working_set_bytes > 1e9")).toBe("bytes");
    expect(guessExprUnit('sum(rate(container_cpu_usage_seconds_total{pod=~"a/b"}[5m])) > 2')).toBe("cores");
  });

  it("chooses a step that keeps every series under 300 points", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 * 86400 }), (range) => {
        const step = chooseStep(range, 300);
        expect(Math.floor(range / step) + 1).toBeLessThanOrEqual(300);
      }),
    );
    expect(chooseStep(3 * 3600 + 14 * 60)).toBe(60);
  });

  it("reads from before the alert started until now", () => {
    const nowMs = Date.UTC(2026, 11, 6, 12, 0);
    const at = (iso: string) => vitalsWindow({ nowMs, hours: 3, startsAt: iso });
    expect(at("2026-12-06T11:46:00Z")).toEqual({ start: nowMs / 1000 - 3 * 3600 - 14 * 60, end: nowMs / 1000 });
    // An alert firing for two days: at most 4 × 3 h back.
    expect(at("2026-12-04T12:00:00Z").start).toBe(nowMs / 1000 - 12 * 3600);
    expect(vitalsWindow({ nowMs, hours: 3 }).start).toBe(nowMs / 1000 - 3 * 3600);
  });

  it("formats numbers as the summary quotes them", () => {
    expect(formatBytes(30.1 * GiB)).toBe("30.1 GiB");
    expect(formatBytes(32 * GiB)).toBe("32 GiB");
    expect(formatBytes(200 * 2 ** 20)).toBe("200 MiB");
    expect(formatCores(1)).toBe("1 core");
    expect(formatCores(1.954)).toBe("1.95 cores");
    expect(formatDuration(25 * 60)).toBe("25 min");
    expect(formatDuration(1.6 * 3600)).toBe("1.6 h");
  });
});
