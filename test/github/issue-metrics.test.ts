import { describe, expect, it } from "vitest";
import { buildIssue, COMMENT_HEADER_RESERVE, ISSUE_BODY_LIMIT, neutralizeText } from "@/lib/github/issue";
import { METRICS_SECTION_LIMIT, metricsSection } from "@/lib/github/issue-metrics";
import { SERIES_IDS, bundleMetricsSchema, type BundleMetrics, type MetricsSeries, type SeriesId, type SeriesUnit } from "@/lib/prometheus/schema";
import { linkableReferences, parseMarkdown, SAMPLE_MARKDOWN, sampleBundle, sampleReport } from "./fixtures";

const GiB = 2 ** 30;
const START = Date.UTC(2026, 10, 20, 7, 0) / 1000;

function series(id: SeriesId, unit: SeriesUnit, n: number, step: number, f: (i: number) => number, labels: Record<string, string> = {}): MetricsSeries {
  return { id, unit, query: `q_${id}`, labels, values: Array.from({ length: n }, (_, i): [number, string] => [START + i * step, String(f(i))]) };
}

function metrics(list: MetricsSeries[], n: number, step: number): BundleMetrics {
  return bundleMetricsSchema.parse({ source: "http://prometheus:9090", start: START, end: START + (n - 1) * step, stepSeconds: step, series: list });
}

const web = { container: "web" };
function leak(): BundleMetrics {
  return metrics(
    [
      series("memory_working_set", "bytes", 181, 60, (i) => (26 + (1.3 * i) / 60) * GiB, web),
      series("memory_limit", "bytes", 181, 60, () => 32 * GiB, web),
      series("memory_request", "bytes", 181, 60, () => 16 * GiB, web),
      series("cpu_usage", "cores", 181, 60, () => 1, web),
      series("cpu_limit", "cores", 181, 60, () => 4, web),
    ],
    181,
    60,
  );
}

const build = (m: BundleMetrics | undefined, logs?: string) =>
  buildIssue({ report: sampleReport(), reportMarkdown: SAMPLE_MARKDOWN, bundle: sampleBundle({ metrics: m, ...(logs ? { logs, previousLogs: logs } : {}) }), fingerprint: "c6eadffa33fcdf37" });

describe("the issue's Metrics section", () => {
  it("is a collapsed section with the numbers as a table and the memory and CPU charts in Mermaid", () => {
    const { body } = build(leak());
    const start = body.indexOf("<details><summary>Metrics: 2 series, metrics from http://prometheus:9090");
    expect(start).toBeGreaterThan(0);
    const section = body.slice(start, body.indexOf("</details>", start));
    expect(section).toContain("| Series | Now | Min | Max | Trend | Limit | % of limit |");
    expect(section).toContain("| memory working set | 29.9 GiB | 26 GiB | 29.9 GiB | rising 1.3 GiB/h | 32 GiB | 93% |");
    expect(section).toContain("| CPU usage | 1 core | 1 core | 1 core | flat | 4 cores | 25% |");
    // Limits are columns, not rows of their own.
    expect(section).not.toMatch(/\| memory limit \|/);
    const charts = [...section.matchAll(/```mermaid\nxychart-beta\n([\s\S]*?)\n```/g)].map((m) => m[1] ?? "");
    expect(charts).toHaveLength(2);
    expect(charts[0]).toContain('title "Memory (working set, limit, request)"');
    expect(charts[0]).toMatch(/y-axis "GiB" 0 --> 36/);
    // Three lines of 24 points each: working set, limit at 32, request at 16.
    const lines = [...(charts[0] ?? "").matchAll(/line \[([^\]]*)\]/g)].map((m) => (m[1] ?? "").split(", ").map(Number));
    expect(lines.map((l) => l.length)).toEqual([24, 24, 24]);
    expect(lines[1]?.every((v) => v === 32)).toBe(true);
    expect(lines[0]?.[0]).toBe(26);
    expect(lines[0]?.at(-1)).toBe(29.9);
    expect(parseMarkdown(body).unclosed).toBe(false);
  });

  it("is left out when the bundle has no metrics part", () => {
    expect(build(undefined).body).not.toContain("<details><summary>Metrics");
  });

  it("breaks pings and quotes in label values", () => {
    const m = metrics([series("memory_working_set", "bytes", 10, 60, () => GiB, { container: '@ops "x" #12 |' }), series("memory_working_set", "bytes", 10, 60, () => GiB, { container: "b" })], 10, 60);
    const section = metricsSection(m, neutralizeText) ?? "";
    expect(linkableReferences(section)).toEqual([]);
    expect(section).toContain("\\|");
    expect(section).not.toMatch(/title "[^"\n]*"[^\n]*"/);
  });

  it("stays within its bound and the body within GitHub's with 18 series of 1200 points, and says what it left out", () => {
    const list = SERIES_IDS.map((id, k) => series(id, id.startsWith("memory") || id.startsWith("gpu_memory") ? "bytes" : "count", 1200, 15, (i) => (k + 1) * 1000 + i, { container: `container-${"x".repeat(200)}-${k}` }));
    const m = metrics(list, 1200, 15);
    expect(m.series).toHaveLength(18);
    const section = metricsSection(m, neutralizeText) ?? "";
    expect(section.length).toBeLessThanOrEqual(METRICS_SECTION_LIMIT);
    expect(section).toContain("| Series | Now |");

    expect(section).toContain("```mermaid");
    const small = metricsSection(m, neutralizeText, 900) ?? "";
    expect(small.length).toBeLessThanOrEqual(900);
    expect(small).not.toContain("```mermaid");
    expect(small).toMatch(/_Left out to fit GitHub's limit: \d+ more series and the charts\. The console's Metrics tab shows everything\._\n\n<\/details>$/);

    const huge = Array.from({ length: 100_000 }, (_, i) => `line ${i} ${"y".repeat(40)}`).join("\n");
    const { body } = build(m, huge);
    expect(body.length).toBeLessThanOrEqual(ISSUE_BODY_LIMIT - COMMENT_HEADER_RESERVE);
    expect(body).toContain("<details><summary>Metrics: ");
    expect(parseMarkdown(body).unclosed).toBe(false);
  });
});
