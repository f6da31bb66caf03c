import { describe, expect, it } from "vitest";
import { alertStartMarker, buildMetricsCharts } from "@/lib/prometheus/charts";
import { metricsSummaryLines, readMetrics } from "@/lib/prometheus/reading";
import { bundleMetricsSchema, type BundleMetrics, type MetricsSeries, type SeriesId, type SeriesUnit } from "@/lib/prometheus/schema";

const GiB = 2 ** 30;
const STEP = 60;
const START = Date.UTC(2026, 11, 6, 9, 40) / 1000;
const N = 181;

function series(id: SeriesId, unit: SeriesUnit, f: (i: number) => number | string | undefined, labels: Record<string, string> = {}): MetricsSeries {
  const values: Array<[number, string]> = [];
  for (let i = 0; i < N; i++) {
    const v = f(i);
    if (v !== undefined) values.push([START + i * STEP, String(v)]);
  }
  return { id, unit, query: `q_${id}`, labels, values };
}

function metrics(list: MetricsSeries[]): BundleMetrics {
  return bundleMetricsSchema.parse({ source: "http://prometheus:9090", start: START, end: START + (N - 1) * STEP, stepSeconds: STEP, series: list });
}

const vllm = { container: "vllm" };
/** A saw-tooth from 8 GiB to the 16 GiB limit, restarting every 50 minutes. */
const oom = () =>
  metrics([
    series("memory_working_set", "bytes", (i) => 8 * GiB + (7.95 * GiB * (i % 50)) / 49, vllm),
    series("memory_limit", "bytes", () => 16 * GiB, vllm),
    series("memory_request", "bytes", () => 12 * GiB, vllm),
    series("cpu_usage", "cores", () => 1.95, vllm),
    series("cpu_limit", "cores", () => 2, vllm),
    series("cpu_throttled_ratio", "ratio", () => 0.45, vllm),
    series("restarts", "count", (i) => Math.floor(i / 50), vllm),
  ]);

describe("the charts of a bundle's metrics", () => {
  it("puts memory with its limit and request, and CPU with its limit and throttling on a second axis", () => {
    const m = oom();
    const charts = buildMetricsCharts(m, readMetrics(m));
    expect(charts.map((c) => c.key)).toEqual(["memory", "cpu", "restarts"]);
    const [memory, cpu] = charts;
    expect(memory?.lines.map((l) => [l.label, l.role])).toEqual([["working set", "value"], ["limit", "limit"], ["request", "request"]]);
    expect(memory?.lines[1]?.values.every((v) => v === 16 * GiB)).toBe(true);
    expect(cpu?.lines.map((l) => [l.label, l.axis])).toEqual([["usage", "left"], ["limit", "left"], ["throttled", "right"]]);
    expect(memory?.x).toHaveLength(N);
  });

  it("takes each chart's summary from the reading: the very line a report quotes", () => {
    const m = oom();
    const lines = metricsSummaryLines(m);
    const charts = buildMetricsCharts(m, readMetrics(m));
    for (const c of charts) expect(lines).toContain(c.summary);
    expect(charts[0]?.summary).toMatch(/^memory working set .* of 16 GiB limit/);
    expect(charts.find((c) => c.key === "restarts")?.summary).toMatch(/^restarts: 3 in the window/);
    expect(charts.find((c) => c.key === "cpu")?.summary).toMatch(/^CPU throttled in 45% of periods at .* the limit is too low/);
  });

  it("shows a gap as a break and NaN as no value, never a line across", () => {
    const m = metrics([
      series("memory_working_set", "bytes", (i) => (i > 60 && i < 100 ? undefined : i === 20 ? "NaN" : 4 * GiB)),
      series("memory_limit", "bytes", () => 8 * GiB),
    ]);
    const [memory] = buildMetricsCharts(m, readMetrics(m));
    const ws = memory?.lines[0]?.values ?? [];
    expect(ws[20]).toBeNull();
    // The limit has samples in the gap; the working set is null there.
    expect(ws.slice(61, 100).every((v) => v === null)).toBe(true);
    expect(memory?.lines[1]?.values[80]).toBe(8 * GiB);

    // Alone, a series with a gap still breaks: one null time is put inside the gap.
    const alone = metrics([series("memory_working_set", "bytes", (i) => (i > 60 && i < 100 ? undefined : 4 * GiB))]);
    const [chart] = buildMetricsCharts(alone, readMetrics(alone));
    const gapAt = chart?.x.findIndex((t) => t === START + 61 * STEP) ?? -1;
    expect(gapAt).toBeGreaterThan(0);
    expect(chart?.lines[0]?.values[gapAt]).toBeNull();
  });

  it("leaves out what has no series or no line (no restart in the window, no GPU): no empty chart", () => {
    const m = metrics([
      series("memory_working_set", "bytes", () => 4 * GiB),
      series("restarts", "count", () => 2),
      series("gpu_util", "ratio", () => "NaN"),
    ]);
    expect(buildMetricsCharts(m, readMetrics(m)).map((c) => c.key)).toEqual(["memory"]);
  });

  it("draws one chart per container, titled by it, and GPU memory against the card's capacity", () => {
    const m = metrics([
      series("memory_working_set", "bytes", () => 6 * GiB, { container: "server" }),
      series("memory_working_set", "bytes", () => 0.2 * GiB, { container: "proxy" }),
      series("memory_limit", "bytes", () => 8 * GiB, { container: "server" }),
      series("memory_limit", "bytes", () => 0.25 * GiB, { container: "proxy" }),
      series("gpu_memory_used", "bytes", () => 70 * GiB, { gpu: "0" }),
      series("gpu_memory_free", "bytes", () => 10 * GiB, { gpu: "0" }),
    ]);
    const charts = buildMetricsCharts(m, readMetrics(m));
    expect(charts.map((c) => c.title)).toEqual(["Memory (container server)", "Memory (container proxy)", "GPU memory"]);
    expect(charts[1]?.lines[1]?.values[0]).toBe(0.25 * GiB);
    expect(charts[2]?.lines.map((l) => l.label)).toEqual(["used", "capacity"]);
    expect(charts[2]?.lines[1]?.values[0]).toBe(80 * GiB);
  });

  it("marks the alert's start and other markers inside the window only", () => {
    const m = oom();
    const inside = alertStartMarker(new Date((START + 3600) * 1000).toISOString());
    const charts = buildMetricsCharts(m, readMetrics(m), [...inside, { time: START - 10, label: "rollout" }, { time: START + 600, label: "rollout v2" }]);
    expect(charts.every((c) => c.markers.length === 2)).toBe(true);
    expect(charts[0]?.markers.map((x) => x.label).sort()).toEqual(["alert started", "rollout v2"]);
    expect(alertStartMarker("not a time")).toEqual([]);
    expect(alertStartMarker(undefined)).toEqual([]);
  });
});
